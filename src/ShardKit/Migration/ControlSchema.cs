using System.Data.Common;
using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// The control schema <c>shardkit_control</c> on the control cluster's primary: the one source of truth of every migration job
/// for the migrators and every application instance. <c>migration</c> holds the legacy import's phase, the state version (raised
/// at every state change) and the backfill checkpoint; <c>units</c> the state of every unit of every job (<see cref="Units"/>);
/// <c>writers</c> each application instance's acknowledged state version, heartbeat and the 99th percentile of its operations'
/// latency since its last poll; <c>placements</c> the placement overrides every application instance with
/// <see cref="ShardMovesOptions"/> routes by.
/// </summary>
internal static class ControlSchema
{
    public const string Name = "shardkit_control";

    /// <summary>
    /// The state table of both jobs, one row per (job, unit). A unit is a logical shard, <c>(dimension, shard)</c>: a bucket of the
    /// legacy import is its user shard (job <c>import</c>, dimension <c>user</c>), a shard move moves one shard of either dimension
    /// (job <c>move</c>). The columns every job writes come first; the figures of one job are null in the other's rows.
    /// </summary>
    public const string Units = "units";

    /// <summary>The <c>job</c> of the legacy import's units (its buckets) in <see cref="Units"/>.</summary>
    public const string ImportJob = "import";

    /// <summary>The <c>job</c> of the shard moves' units in <see cref="Units"/>.</summary>
    public const string MoveJob = "move";

    /// <summary>The state tables of earlier versions (<c>buckets</c> of the import, <c>shard_moves</c> of the mover), which <see cref="Units"/> replaces.</summary>
    private static readonly (string Table, string Job, string Remedy)[] s_earlierTables =
    [
        ("buckets", "a legacy import", "finish it with that version (`shardkit migrate cutover`, then `shardkit migrate complete`)"),
        ("shard_moves", "shard moves", "finish them with that version (`shardkit move-shard complete`), or roll them back (`shardkit move-shard rollback`, then `complete`)"),
    ];

    public static readonly string[] Statements =
    [
        $"CREATE DATABASE IF NOT EXISTS `{Name}` CHARACTER SET utf8mb4",
        $"""
        CREATE TABLE IF NOT EXISTS `{Name}`.`migration` (
            id              TINYINT      NOT NULL,
            phase           VARCHAR(16)  NOT NULL,
            state_version   BIGINT       NOT NULL,
            source          VARCHAR(255) NOT NULL,
            source_schema   VARCHAR(64)  NOT NULL,
            buckets         INT          NOT NULL,
            backfill_cursor BIGINT       NOT NULL DEFAULT 0,
            backfill_until  BIGINT       NULL,
            backfill_rows   BIGINT       NOT NULL DEFAULT 0,
            backfill_done   TINYINT(1)   NOT NULL DEFAULT 0,
            command         VARCHAR(512) NULL,
            created_at      DATETIME(6)  NOT NULL,
            updated_at      DATETIME(6)  NOT NULL,
            PRIMARY KEY (id)
        ) ENGINE = InnoDB
        """,
        $"""
        CREATE TABLE IF NOT EXISTS `{Name}`.`{Units}` (
            job          VARCHAR(8)    NOT NULL,
            dimension    VARCHAR(8)    NOT NULL,
            shard        INT           NOT NULL,
            state        VARCHAR(16)   NOT NULL,
            epoch        INT           NOT NULL DEFAULT 0,
            pause_ms     DOUBLE        NULL,
            last_error   VARCHAR(1024) NULL,
            command      VARCHAR(512)  NULL,
            started_at   DATETIME(6)   NOT NULL,
            updated_at   DATETIME(6)   NOT NULL,
            source_rows  BIGINT        NULL,
            target_rows  BIGINT        NULL,
            verified_at  DATETIME(6)   NULL,
            from_cluster VARCHAR(64)   NULL,
            to_cluster   VARCHAR(64)   NULL,
            cursors      TEXT          NULL,
            copy_done    TINYINT(1)    NULL,
            rows_copied  BIGINT        NULL,
            changes      BIGINT        NULL,
            PRIMARY KEY (job, dimension, shard)
        ) ENGINE = InnoDB
        """,
        $"""
        CREATE TABLE IF NOT EXISTS `{Name}`.`writers` (
            writer_id     VARCHAR(128) NOT NULL,
            state_version BIGINT       NOT NULL,
            heartbeat_at  DATETIME(6)  NOT NULL,
            host          VARCHAR(255) NOT NULL,
            latency_p99_ms DOUBLE      NULL,
            PRIMARY KEY (writer_id)
        ) ENGINE = InnoDB
        """,
        $"""
        CREATE TABLE IF NOT EXISTS `{Name}`.`placements` (
            dimension  VARCHAR(8)  NOT NULL,
            shard      INT         NOT NULL,
            cluster    VARCHAR(64) NOT NULL,
            epoch      INT         NOT NULL,
            updated_at DATETIME(6) NOT NULL,
            PRIMARY KEY (dimension, shard)
        ) ENGINE = InnoDB
        """,
    ];

    public const string ReadPlacements = $"SELECT dimension, shard, cluster, epoch FROM `{Name}`.`placements` ORDER BY dimension, shard";

    public const string ReadMigration = $"SELECT phase, state_version FROM `{Name}`.`migration` WHERE id = 1";

    /// <summary>Every bucket of the legacy import (its user shard) with its state and epoch, as the applications route by them.</summary>
    public const string ReadBuckets = $"SELECT shard, state, epoch FROM `{Name}`.`{Units}` WHERE job = '{ImportJob}' ORDER BY shard";

    public const string Acknowledge = $"""
        INSERT INTO `{Name}`.`writers` (writer_id, state_version, heartbeat_at, host, latency_p99_ms) VALUES (@WriterId, @StateVersion, UTC_TIMESTAMP(6), @Host, @LatencyP99)
        ON DUPLICATE KEY UPDATE state_version = VALUES(state_version), heartbeat_at = VALUES(heartbeat_at), host = VALUES(host), latency_p99_ms = VALUES(latency_p99_ms)
        """;

    /// <summary>The highest 99th-percentile operation latency (ms) reported by a writer whose heartbeat is recent; null when none reported one.</summary>
    public const string ReadApplicationLatency = $"SELECT MAX(latency_p99_ms) FROM `{Name}`.`writers` WHERE heartbeat_at >= UTC_TIMESTAMP(6) - INTERVAL @Seconds SECOND";

    public const string RemoveWriter = $"DELETE FROM `{Name}`.`writers` WHERE writer_id = @WriterId";

    /// <summary>The cluster that holds the control schema: the one named, or the first.</summary>
    /// <exception cref="ArgumentException">No cluster has that name.</exception>
    public static ShardCluster Cluster(ShardMap map, string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return map.Clusters[0];
        }

        return map.Clusters.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal))
            ?? throw new ArgumentException($"The control cluster '{name}' is not in the topology; it has {string.Join(", ", map.Clusters.Select(c => c.Name))}.", nameof(name));
    }

    /// <summary>
    /// Creates the control schema and its tables where they are missing. An estate of an earlier version keeps its jobs' states
    /// in <c>buckets</c> or <c>shard_moves</c>, which this version does not read: while either holds a unit that is not
    /// <c>COMPLETE</c>, nothing is created and the job must be finished with that version.
    /// </summary>
    /// <exception cref="InvalidOperationException">An earlier version's state table holds an unfinished job; the message names the table and what to do.</exception>
    public static async Task EnsureAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await RefuseEarlierJobsAsync(connection, cancellationToken).ConfigureAwait(false);
        foreach (var statement in Statements)
        {
            await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    private static async Task RefuseEarlierJobsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var found = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = @Schema AND table_name IN @Tables",
            new { Schema = Name, Tables = s_earlierTables.Select(t => t.Table).ToArray() },
            cancellationToken: cancellationToken)).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        foreach (var (table, job, remedy) in s_earlierTables.Where(t => found.Contains(t.Table)))
        {
            var unfinished = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                $"SELECT COUNT(*) FROM `{Name}`.`{table}` WHERE state <> 'COMPLETE'", cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (unfinished > 0)
            {
                throw new InvalidOperationException(
                    $"The control schema {Name} has table `{table}` of an earlier ShardKit version with {unfinished} unfinished row(s) ({job} in progress); " +
                    $"this version keeps job states in `{Units}` and cannot carry on that job: {remedy}, then run this version. Nothing was changed.");
            }
        }
    }

    /// <summary>Whether <paramref name="exception"/> says a table or schema does not exist (SQLSTATE 42S02 / 42000 unknown database).</summary>
    public static bool IsMissingTable(DbException exception) =>
        exception.SqlState is "42S02" || (exception.SqlState == "42000" && exception.Message.Contains("Unknown database", StringComparison.OrdinalIgnoreCase));
}

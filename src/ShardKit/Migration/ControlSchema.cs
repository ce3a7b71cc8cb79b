using System.Data.Common;
using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// The control schema <c>shardkit_control</c> on the control cluster's primary: the one source of truth of a migration
/// for the migrator and every application instance. <c>migration</c> holds the phase, the state version (raised at every
/// state change) and the backfill checkpoint; <c>buckets</c> each bucket's state and epoch; <c>writers</c> each
/// application instance's acknowledged state version, heartbeat and the 99th percentile of its operations' latency since its last poll.
/// </summary>
internal static class ControlSchema
{
    public const string Name = "shardkit_control";

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
        CREATE TABLE IF NOT EXISTS `{Name}`.`buckets` (
            bucket      SMALLINT     NOT NULL,
            state       VARCHAR(16)  NOT NULL,
            epoch       INT          NOT NULL DEFAULT 0,
            source_rows BIGINT       NULL,
            target_rows BIGINT       NULL,
            verified_at DATETIME(6)  NULL,
            pause_ms    DOUBLE       NULL,
            last_error  VARCHAR(512) NULL,
            updated_at  DATETIME(6)  NOT NULL,
            PRIMARY KEY (bucket)
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
    ];

    /// <summary>
    /// The shard-move tables (<c>shardkit move-shard</c>): <c>shard_moves</c>, one row per logical shard that is or was moved (its
    /// state, clusters, epoch, copy cursors, figures, the interrupted command); <c>placements</c>, the placement overrides every
    /// application instance with <see cref="ShardMovesOptions"/> routes by.
    /// </summary>
    public static readonly string[] MoveStatements =
    [
        $"CREATE DATABASE IF NOT EXISTS `{Name}` CHARACTER SET utf8mb4",
        $"""
        CREATE TABLE IF NOT EXISTS `{Name}`.`shard_moves` (
            dimension    VARCHAR(8)    NOT NULL,
            shard        INT           NOT NULL,
            from_cluster VARCHAR(64)   NOT NULL,
            to_cluster   VARCHAR(64)   NOT NULL,
            state        VARCHAR(16)   NOT NULL,
            epoch        INT           NOT NULL DEFAULT 0,
            cursors      TEXT          NULL,
            copy_done    TINYINT(1)    NOT NULL DEFAULT 0,
            rows_copied  BIGINT        NOT NULL DEFAULT 0,
            changes      BIGINT        NOT NULL DEFAULT 0,
            pause_ms     DOUBLE        NULL,
            last_error   VARCHAR(1024) NULL,
            command      VARCHAR(512)  NULL,
            started_at   DATETIME(6)   NOT NULL,
            updated_at   DATETIME(6)   NOT NULL,
            PRIMARY KEY (dimension, shard)
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

    public const string ReadBuckets = $"SELECT bucket, state, epoch FROM `{Name}`.`buckets` ORDER BY bucket";

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

    public static Task EnsureAsync(DbConnection connection, CancellationToken cancellationToken) => EnsureAsync(connection, Statements, cancellationToken);

    public static async Task EnsureAsync(DbConnection connection, string[] statements, CancellationToken cancellationToken)
    {
        foreach (var statement in statements)
        {
            await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Whether <paramref name="exception"/> says a table or schema does not exist (SQLSTATE 42S02 / 42000 unknown database).</summary>
    public static bool IsMissingTable(DbException exception) =>
        exception.SqlState is "42S02" || (exception.SqlState == "42000" && exception.Message.Contains("Unknown database", StringComparison.OrdinalIgnoreCase));
}

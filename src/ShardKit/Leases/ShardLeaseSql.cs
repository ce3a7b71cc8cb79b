using System.Data.Common;
using System.Globalization;
using Dapper;

namespace ShardKit.Leases;

/// <summary>
/// The lease tables on each cluster's primary, next to the schema log: <c>shardkit.shardkit_leases</c> (one row per
/// kind of work and user shard: holder and expiry) and <c>shardkit.shardkit_lease_holders</c> (one row per kind and
/// live instance, so an instance holding nothing yet still counts in the fair share). Every time is the server's
/// <c>UTC_TIMESTAMP(6)</c>, so the instances' clocks and time zones do not matter; each batch is autocommitted
/// single-table statements, and a claim is a conditional <c>UPDATE</c> that only an expired or released row matches.
/// </summary>
internal static class ShardLeaseSql
{
    public const string Leases = "`shardkit`.`shardkit_leases`";
    public const string Holders = "`shardkit`.`shardkit_lease_holders`";

    public static readonly string[] Create =
    [
        "CREATE DATABASE IF NOT EXISTS `shardkit` CHARACTER SET utf8mb4",
        $"""
        CREATE TABLE IF NOT EXISTS {Leases} (
            kind       VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
            shard      INT          NOT NULL,
            holder     VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            expires_at DATETIME(6)  NOT NULL,
            PRIMARY KEY (kind, shard),
            KEY ix_holder (kind, holder)
        ) ENGINE = InnoDB
        """,
        $"""
        CREATE TABLE IF NOT EXISTS {Holders} (
            kind       VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
            holder     VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
            expires_at DATETIME(6)  NOT NULL,
            PRIMARY KEY (kind, holder)
        ) ENGINE = InnoDB
        """,
    ];

    /// <summary>The renewal and the read of one cycle, one round trip: membership, every lease of this holder, then the table.</summary>
    public const string RenewAndRead = $"""
        INSERT INTO {Holders} (kind, holder, expires_at) VALUES (@Kind, @Holder, UTC_TIMESTAMP(6) + INTERVAL @Micros MICROSECOND)
        ON DUPLICATE KEY UPDATE expires_at = VALUES(expires_at);
        UPDATE {Leases} SET expires_at = UTC_TIMESTAMP(6) + INTERVAL @Micros MICROSECOND WHERE kind = @Kind AND holder = @Holder;
        SELECT shard, holder, CAST(expires_at > UTC_TIMESTAMP(6) AS SIGNED) AS live FROM {Leases} WHERE kind = @Kind;
        SELECT holder FROM {Holders} WHERE kind = @Kind AND expires_at > UTC_TIMESTAMP(6)
        """;

    /// <summary>Membership rows of instances gone for an hour; run once when an instance starts.</summary>
    public const string ForgetOldHolders = $"DELETE FROM {Holders} WHERE kind = @Kind AND expires_at < UTC_TIMESTAMP(6) - INTERVAL 1 HOUR";

    public const string ReleaseAll = $"""
        UPDATE {Leases} SET holder = '', expires_at = '2000-01-01 00:00:00' WHERE kind = @Kind AND holder = @Holder;
        DELETE FROM {Holders} WHERE kind = @Kind AND holder = @Holder
        """;

    /// <summary>
    /// Claims the given free shards (rows are created first where missing) and reads back what this holder holds: the
    /// <c>UPDATE</c> matches only rows still expired or released when it locks them, so of two claimers one wins each row.
    /// </summary>
    public static string Claim(IReadOnlyCollection<int> missing, IReadOnlyCollection<int> shards)
    {
        var seed = missing.Count == 0
            ? ""
            : $"INSERT IGNORE INTO {Leases} (kind, shard, holder, expires_at) VALUES {string.Join(", ", missing.Select(s => string.Create(CultureInfo.InvariantCulture, $"(@Kind, {s}, '', '2000-01-01 00:00:00')")))};\n";
        return seed + $"""
            UPDATE {Leases} SET holder = @Holder, expires_at = UTC_TIMESTAMP(6) + INTERVAL @Micros MICROSECOND
            WHERE kind = @Kind AND shard IN ({List(shards)}) AND (expires_at <= UTC_TIMESTAMP(6) OR holder = '');
            SELECT shard FROM {Leases} WHERE kind = @Kind AND holder = @Holder AND expires_at > UTC_TIMESTAMP(6)
            """;
    }

    public static string Release(IReadOnlyCollection<int> shards) =>
        $"UPDATE {Leases} SET holder = '', expires_at = '2000-01-01 00:00:00' WHERE kind = @Kind AND holder = @Holder AND shard IN ({List(shards)})";

    public static async Task EnsureAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        foreach (var statement in Create)
        {
            await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    private static string List(IEnumerable<int> shards) => string.Join(", ", shards.Select(s => s.ToString(CultureInfo.InvariantCulture)));
}

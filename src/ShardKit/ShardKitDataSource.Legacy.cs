using System.Data.Common;

namespace ShardKit;

/// <summary>Connections to the pre-sharding monolith (<see cref="ShardMap.Legacy"/>), for the online migration.</summary>
public sealed partial class ShardKitDataSource
{
    /// <summary>Opens a connection to the legacy database's server, from a pool of its own.</summary>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidTopology"/>: no legacy endpoint (with a database) is configured;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/>: the server cannot be reached.
    /// </exception>
    internal async ValueTask<DbConnection> OpenLegacyAsync(CancellationToken cancellationToken)
    {
        var legacy = Map.Legacy ?? throw new ShardKitException(
            ShardKitErrorCode.InvalidTopology,
            "No legacy database is configured (ShardKit:Legacy): the online migration needs its connection string.");
        var pool = GetEndpoint(legacy, "legacy", isReplica: false).Pool;
        try
        {
            return await pool.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            throw new ShardKitException(
                ShardKitErrorCode.ShardUnavailable,
                $"Could not open a connection to the legacy database ({legacy.Address}): {ex.Message}",
                ex)
            {
                Shard = "legacy",
            };
        }
    }
}

using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using ShardKit.Topology;

namespace ShardKit.Connections;

/// <summary>
/// Large generated texts (many statements, values as literals) sent in one round trip: how big one may be on a cluster
/// (its primary's <c>max_allowed_packet</c>, read once, less a margin), and running one without Dapper (every such text
/// is new, and Dapper would cache and compile something for each).
/// </summary>
internal static class BatchText
{
    private const int Margin = 64 * 1024;
    private const int Floor = 16 * 1024;

    // Bounds how long one transaction of a batch holds its locks, whatever the server allows.
    private const int Ceiling = 16 * 1024 * 1024;

    private static readonly ConcurrentDictionary<string, int> s_packets = new(StringComparer.Ordinal);

    /// <summary>The bytes a text sent on <paramref name="shard"/>'s cluster may take.</summary>
    public static ValueTask<int> LimitAsync(ShardConnection shard, CancellationToken cancellationToken) =>
        LimitAsync(shard.Connection, shard.Route.Cluster.Name + "@" + shard.Route.Endpoint.Address, cancellationToken);

    /// <summary>The bytes a text sent on <paramref name="connection"/>, open on <paramref name="cluster"/>'s primary, may take.</summary>
    public static ValueTask<int> LimitAsync(DbConnection connection, ShardCluster cluster, CancellationToken cancellationToken) =>
        LimitAsync(connection, cluster.Name + "@" + cluster.Primary.Address, cancellationToken);

    private static async ValueTask<int> LimitAsync(DbConnection connection, string key, CancellationToken cancellationToken)
    {
        if (!s_packets.TryGetValue(key, out var packet))
        {
            packet = (int)Math.Min(int.MaxValue, await connection.ExecuteScalarAsync<long>(
                new CommandDefinition("SELECT @@max_allowed_packet", cancellationToken: cancellationToken)).ConfigureAwait(false));
            s_packets[key] = packet;
        }

        return Math.Clamp(packet - Margin, Floor, Ceiling);
    }

    /// <summary>Runs <paramref name="sql"/>; the rows it affected (all statements together).</summary>
    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            command.Transaction = transaction;
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

using System.Data.Common;
using ShardKit.Replication;
using ShardKit.Routing;

namespace ShardKit;

/// <content>Reads with a <see cref="ReadPreference"/> and causal tokens: read/write splitting over the clusters' replicas.</content>
public sealed partial class ShardKitDataSource
{
    /// <summary>Opens a connection for reading the user shard that holds <paramref name="userId"/>'s orders.</summary>
    /// <param name="userId">The user ID (positive).</param>
    /// <param name="preference">Which server may serve the read.</param>
    /// <param name="causalToken">A token from an earlier write: a replica serves the read only once it has applied that write.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> is zero or negative, or <paramref name="preference"/> is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can be reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenUserShardAsync(long userId, ReadPreference preference, CausalToken? causalToken = null, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteUser(userId), preference, causalToken, cancellationToken);

    /// <summary>Opens a connection for reading the merchant shard that holds <paramref name="merchantId"/>'s orders.</summary>
    /// <param name="merchantId">The merchant ID (positive).</param>
    /// <param name="preference">Which server may serve the read.</param>
    /// <param name="causalToken">A token from an earlier write: a replica serves the read only once it has applied that write.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="merchantId"/> is zero or negative, or <paramref name="preference"/> is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can be reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenMerchantShardAsync(long merchantId, ReadPreference preference, CausalToken? causalToken = null, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteMerchant(merchantId), preference, causalToken, cancellationToken);

    /// <summary>Opens a connection for reading the shard of <paramref name="dimension"/> that holds the order (routed by its shard genes).</summary>
    /// <param name="orderId">The order ID.</param>
    /// <param name="dimension">Which copy of the order: the user's or the merchant's.</param>
    /// <param name="preference">Which server may serve the read.</param>
    /// <param name="causalToken">A token from an earlier write: a replica serves the read only once it has applied that write.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="preference"/> is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidOrderId"/> when the genes name a shard the map does not have;
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can be reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenOrderShardAsync(OrderId orderId, ShardDimension dimension, ReadPreference preference, CausalToken? causalToken = null, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteOrder(orderId, dimension), preference, causalToken, cancellationToken);

    /// <summary>Opens a connection for reading the shard of an already computed <paramref name="route"/>.</summary>
    /// <param name="route">A route from <see cref="Map"/>.</param>
    /// <param name="preference">Which server may serve the read.</param>
    /// <param name="causalToken">
    /// A token from an earlier write: a replica serves the read only once it has applied that write (waiting up to
    /// <see cref="ShardKitOptions.CausalReadWait"/>), otherwise the primary does. A token of another cluster is ignored.
    /// </param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="preference"/> is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can be reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenAsync(ShardRoute route, ReadPreference preference, CausalToken? causalToken = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return OpenReadAsync(route.Slot, preference, causalToken, cancellationToken);
    }

    private ValueTask<ShardConnection> OpenReadAsync(ShardSlot slot, ReadPreference preference, CausalToken? causalToken, CancellationToken cancellationToken)
    {
        if (preference is not (ReadPreference.Primary or ReadPreference.PreferReplica or ReadPreference.ReplicaOnly))
        {
            throw new ArgumentOutOfRangeException(nameof(preference), preference, "The read preference must be Primary, PreferReplica or ReplicaOnly.");
        }

        // Inside a transaction everything is served by the transaction's connection on the primary.
        var transaction = AmbientTransaction;
        if (transaction is not null)
        {
            EnsureSameShard(transaction, slot);
            return new ValueTask<ShardConnection>(new ShardConnection(this, slot, slot.Cluster.Primary, transaction.Connection, ShardIntent.Read, transaction));
        }

        if (preference == ReadPreference.Primary)
        {
            return OpenPrimaryAsync(slot, ShardIntent.Read, cancellationToken);
        }

        var state = _state;
        var replicas = ReferenceEquals(slot.Map, state.Map) ? state.Replicas[slot.Cluster.Index] : CreateReplicaSet(slot.Cluster);
        if (replicas.Count == 0)
        {
            return preference == ReadPreference.PreferReplica
                ? OpenPrimaryAsync(slot, ShardIntent.Read, cancellationToken)
                : throw new ShardKitException(
                    ShardKitErrorCode.ShardUnavailable,
                    $"Cannot read shard {slot.Name} from a replica: cluster '{slot.Cluster.Name}' has no replica configured.")
                {
                    Shard = slot.Name,
                };
        }

        var token = causalToken is not null && string.Equals(causalToken.Cluster, slot.Cluster.Name, StringComparison.OrdinalIgnoreCase)
            ? causalToken
            : null;
        return OpenReplicaAsync(slot, replicas, preference, token, state.CausalReadWait, cancellationToken);
    }

    private async ValueTask<ShardConnection> OpenReplicaAsync(
        ShardSlot slot, ReplicaSet replicas, ReadPreference preference, CausalToken? token, TimeSpan wait, CancellationToken cancellationToken)
    {
        var index = replicas.Next();
        var endpoint = replicas.Endpoints[index];
        DbConnection connection;
        try
        {
            connection = await replicas.GetPool(index).OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            if (preference == ReadPreference.ReplicaOnly)
            {
                throw new ShardKitException(
                    ShardKitErrorCode.ShardUnavailable,
                    $"Could not open replica {endpoint.Address} of cluster '{slot.Cluster.Name}' for shard {slot.Name}: {ex.Message}",
                    ex)
                {
                    Shard = slot.Name,
                };
            }

            ReplicationLog.ReplicaOpenFailed(Logger, ex, endpoint.Address, slot.Cluster.Name, slot.Name);
            return await OpenPrimaryAsync(slot, ShardIntent.Read, cancellationToken).ConfigureAwait(false);
        }

        if (token is null || await HasAppliedAsync(connection, slot, endpoint, token, wait, cancellationToken).ConfigureAwait(false))
        {
            return new ShardConnection(this, slot, endpoint, connection, ShardIntent.Read, enlistedIn: null);
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        if (preference == ReadPreference.ReplicaOnly)
        {
            throw new ShardKitException(
                ShardKitErrorCode.ShardUnavailable,
                $"Replica {endpoint.Address} of cluster '{slot.Cluster.Name}' had not applied GTID {token.Gtid} within {wait.TotalMilliseconds:0} ms; shard {slot.Name} cannot be read from a replica yet.")
            {
                Shard = slot.Name,
            };
        }

        ReplicationLog.CausalReadOnPrimary(Logger, endpoint.Address, token.Gtid, wait, slot.Name);
        return await OpenPrimaryAsync(slot, ShardIntent.Read, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> HasAppliedAsync(
        DbConnection connection, ShardSlot slot, ShardEndpoint endpoint, CausalToken token, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = GtidDialect.WaitStatement(token.Gtid, wait);
                return GtidDialect.IsApplied(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
            }
        }
        catch (DbException ex)
        {
            ReplicationLog.CausalWaitFailed(Logger, ex, endpoint.Address, token.Gtid, slot.Name);
            return false;
        }
    }

    private ReplicaSet CreateReplicaSet(ShardCluster cluster) =>
        new(cluster.Replicas, endpoint => GetPool(endpoint, cluster.Name));
}

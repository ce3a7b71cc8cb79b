using System.Data.Common;
using System.Globalization;

namespace ShardKit;

/// <content>Reads with a <see cref="ReadPreference"/> and causal tokens: read/write splitting over the clusters' replicas.</content>
public sealed partial class ShardKitDataSource
{
    private static readonly FallbackBudget s_unlimitedFallbacks = new(1, 1);

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
        var options = preference == ReadPreference.PreferReplica && causalToken is null
            ? ReadOptions.Default
            : new ReadOptions { Preference = preference, CausalToken = causalToken };
        return OpenReadAsync(route.Slot, options, cancellationToken);
    }

    /// <summary>Opens a connection for reading the user shard that holds <paramref name="userId"/>'s orders, as <paramref name="options"/> say.</summary>
    /// <param name="userId">The user ID (positive).</param>
    /// <param name="options">Preference, causal token, maximum lag and essentialness of the read.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> is zero or negative, or the preference is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can serve the read;
    /// <see cref="ShardKitErrorCode.Overloaded"/> when the chosen server's concurrency limit is reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenUserShardAsync(long userId, ReadOptions options, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteUser(userId), options, cancellationToken);

    /// <summary>Opens a connection for reading the merchant shard that holds <paramref name="merchantId"/>'s orders, as <paramref name="options"/> say.</summary>
    /// <param name="merchantId">The merchant ID (positive).</param>
    /// <param name="options">Preference, causal token, maximum lag and essentialness of the read.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="merchantId"/> is zero or negative, or the preference is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can serve the read;
    /// <see cref="ShardKitErrorCode.Overloaded"/> when the chosen server's concurrency limit is reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenMerchantShardAsync(long merchantId, ReadOptions options, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteMerchant(merchantId), options, cancellationToken);

    /// <summary>Opens a connection for reading the shard of <paramref name="dimension"/> that holds the order, as <paramref name="options"/> say.</summary>
    /// <param name="orderId">The order ID.</param>
    /// <param name="dimension">Which copy of the order: the user's or the merchant's.</param>
    /// <param name="options">Preference, causal token, maximum lag and essentialness of the read.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException">The preference is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidOrderId"/> when the genes name a shard the map does not have;
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can serve the read;
    /// <see cref="ShardKitErrorCode.Overloaded"/> when the chosen server's concurrency limit is reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenOrderShardAsync(OrderId orderId, ShardDimension dimension, ReadOptions options, CancellationToken cancellationToken = default) =>
        OpenAsync(Map.RouteOrder(orderId, dimension), options, cancellationToken);

    /// <summary>
    /// Opens a connection for reading the shard of <paramref name="route"/>, as <paramref name="options"/> say. A replica serves
    /// the read when it is not ejected, within the maximum lag, its breaker is closed and (with a causal token) it has
    /// applied the token's write within <see cref="ShardKitOptions.CausalReadWait"/>; among several, the one with the fewest
    /// connections held. With <see cref="ReadPreference.PreferReplica"/> the primary serves it otherwise, within the
    /// cluster's fallback cap (<see cref="ReplicaHealthOptions.FallbackShare"/>; reads with a causal token are not capped).
    /// </summary>
    /// <param name="route">A route from <see cref="Map"/>.</param>
    /// <param name="options">Preference, causal token, maximum lag and essentialness of the read.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <exception cref="ArgumentOutOfRangeException">The preference is not defined.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.CrossShardTransaction"/> when a transaction is open on another shard;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when no allowed server can serve the read (transient);
    /// <see cref="ShardKitErrorCode.Overloaded"/> when the chosen server's concurrency limit is reached.
    /// </exception>
    public ValueTask<ShardConnection> OpenAsync(ShardRoute route, ReadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return OpenReadAsync(route.Slot, options, cancellationToken);
    }

    private ValueTask<ShardConnection> OpenReadAsync(ShardSlot slot, ReadOptions options, CancellationToken cancellationToken)
    {
        var preference = options.Preference;
        if (preference is not (ReadPreference.Primary or ReadPreference.PreferReplica or ReadPreference.ReplicaOnly))
        {
            throw new ArgumentOutOfRangeException(nameof(options), preference, "The read preference must be Primary, PreferReplica or ReplicaOnly.");
        }

        if (options.MaxLag is { } maxLagOption && maxLagOption < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), maxLagOption, "MaxLag must not be negative.");
        }

        // Inside a transaction everything is served by the transaction's connection.
        var transaction = AmbientTransaction;
        if (transaction is not null)
        {
            EnsureSameShard(transaction, slot);
            return new ValueTask<ShardConnection>(new ShardConnection(this, slot, transaction.Endpoint, transaction.Connection, ShardIntent.Read, transaction));
        }

        if (preference == ReadPreference.Primary)
        {
            return OpenPrimaryAsync(slot, ShardIntent.Read, options.NonEssential, cancellationToken);
        }

        var state = _state;
        ReplicaSet replicas;
        FallbackBudget budget;
        if (ReferenceEquals(slot.Map, state.Map))
        {
            replicas = state.Replicas[slot.Cluster.Index];
            budget = state.Fallbacks[slot.Cluster.Index];
        }
        else
        {
            // A route from an older map reads the replicas that map names; its rare fallbacks are not capped.
            replicas = new ReplicaSet(slot.Cluster.Replicas.Select(r => GetEndpoint(r, slot.Cluster.Name, isReplica: true)).ToArray());
            budget = s_unlimitedFallbacks;
        }

        if (replicas.Count == 0)
        {
            return preference == ReadPreference.PreferReplica
                ? OpenPrimaryAsync(slot, ShardIntent.Read, options.NonEssential, cancellationToken)
                : throw new ShardKitException(
                    ShardKitErrorCode.ShardUnavailable,
                    $"Cannot read shard {slot.Name} from a replica: cluster '{slot.Cluster.Name}' has no replica configured.")
                {
                    Shard = slot.Name,
                };
        }

        var token = options.CausalToken ?? ReadYourWritesToken(slot.Cluster.Name);
        if (token is not null && !string.Equals(token.Cluster, slot.Cluster.Name, StringComparison.OrdinalIgnoreCase))
        {
            token = null;
        }

        var maxLag = options.MaxLag is { } maxLag1 ? (long)maxLag1.TotalMilliseconds : state.DefaultMaxLagMilliseconds;
        return OpenReplicaAsync(slot, replicas, budget, options, token, maxLag, state.CausalReadWait, cancellationToken);
    }

    private async ValueTask<ShardConnection> OpenReplicaAsync(
        ShardSlot slot, ReplicaSet replicas, FallbackBudget budget, ReadOptions options, CausalToken? token, long maxLag, TimeSpan wait, CancellationToken cancellationToken)
    {
        budget.OnReplicaRead();
        ulong tried = 0;
        ShardKitException? openError = null;
        string? notApplied = null;
        for (var attempt = 0; attempt < replicas.Count; attempt++)
        {
            var index = replicas.Select(maxLag, tried);
            if (index < 0)
            {
                break;
            }

            if (index < 64)
            {
                tried |= 1UL << index;
            }

            var replica = replicas[index];
            ShardConnection shard;
            try
            {
                shard = await OpenEndpointAsync(slot, replica, ShardIntent.Read, options.NonEssential, cancellationToken).ConfigureAwait(false);
            }
            catch (ShardKitException ex) when (ex.ErrorCode is ShardKitErrorCode.ShardUnavailable or ShardKitErrorCode.Overloaded)
            {
                ReplicationLog.ReplicaOpenFailed(Logger, ex, replica.Endpoint.Address, slot.Cluster.Name, slot.Name);
                openError = ex;
                continue;
            }

            if (token is null)
            {
                return shard;
            }

            bool applied;
            try
            {
                applied = await HasAppliedAsync(shard.Connection, slot, replica.Endpoint, token, wait, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await shard.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (applied)
            {
                return shard;
            }

            await shard.DisposeAsync().ConfigureAwait(false);
            ReplicationLog.CausalReadOnPrimary(Logger, replica.Endpoint.Address, token.Gtid, wait, slot.Name);
            notApplied = string.Create(
                CultureInfo.InvariantCulture,
                $"replica {replica.Endpoint.Address} had not applied GTID {token.Gtid} within {wait.TotalMilliseconds:0} ms");
        }

        var why = notApplied
            ?? (openError is not null
                ? "no replica could be opened (" + openError.Message + ")"
                : "every replica is ejected, behind the read's maximum lag, or behind an open circuit breaker");
        if (options.Preference == ReadPreference.ReplicaOnly)
        {
            throw new ShardKitException(
                ShardKitErrorCode.ShardUnavailable,
                $"Shard {slot.Name} cannot be read from a replica of cluster '{slot.Cluster.Name}' now: {why}.",
                openError)
            {
                Shard = slot.Name,
            };
        }

        // A read with a causal token is the read-your-writes guarantee: when no replica can serve it, the primary does,
        // uncapped (such reads follow writes the primary already took). Other fallbacks are capped.
        if (token is null && !budget.TryTake())
        {
            _metrics.RecordFallback(slot.Cluster.Name, "capped");
            ReplicationLog.FallbackCapReached(Logger, slot.Cluster.Name, slot.Name);
            throw new ShardKitException(
                ShardKitErrorCode.ShardUnavailable,
                $"Shard {slot.Name} cannot be read now: {why}, and cluster '{slot.Cluster.Name}' has reached its cap on reads that fall back to the primary (ReplicaHealth.FallbackShare).",
                openError)
            {
                Shard = slot.Name,
            };
        }

        _metrics.RecordFallback(slot.Cluster.Name, notApplied is not null ? "causal_wait" : openError is not null ? "replica_unavailable" : "no_eligible_replica");
        if (token is not null && notApplied is null)
        {
            ReplicationLog.CausalReadOnPrimary(Logger, "(no eligible replica)", token.Gtid, wait, slot.Name);
        }

        return await OpenPrimaryAsync(slot, ShardIntent.Read, options.NonEssential, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> HasAppliedAsync(
        DbConnection connection, ShardSlot slot, ShardEndpoint endpoint, CausalToken token, TimeSpan wait, CancellationToken cancellationToken)
    {
        // A token of the other flavour cannot be waited for on this server (a MySQL GTID on MariaDB, or the reverse).
        var serverFlavor = GtidDialect.ServerFlavor(connection.ServerVersion);
        if (serverFlavor is not null && serverFlavor != GtidDialect.FlavorOf(token.Gtid))
        {
            ReplicationLog.CausalFlavorMismatch(Logger, endpoint.Address, token.Gtid, slot.Name);
            return false;
        }

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

}

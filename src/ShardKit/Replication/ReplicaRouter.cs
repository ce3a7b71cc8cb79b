using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ShardKit.Replication;

/// <summary>
/// Read/write splitting: picks the server that serves one read. A replica serves it when it is not ejected, within the
/// read's maximum lag, its breaker is closed and (with a causal token) it has applied the token's write within
/// <see cref="ShardKitOptions.CausalReadWait"/> (the causal wait, <c>MASTER_GTID_WAIT</c> or <c>WAIT_FOR_EXECUTED_GTID_SET</c>
/// on the replica's session); among several, the one with the fewest connections held. With
/// <see cref="ReadPreference.PreferReplica"/> the primary serves it otherwise, within the cluster's fallback cap
/// (<see cref="ReplicaHealthOptions.FallbackShare"/>; reads with a causal token are not capped).
/// </summary>
internal sealed class ReplicaRouter
{
    private static readonly FallbackBudget s_unlimitedFallbacks = new(1, 1);

    private readonly EndpointPools _pools;
    private readonly EndpointConnector _connector;
    private readonly AmbientContext _ambient;
    private readonly RoutingMetrics _metrics;
    private readonly ILogger _logger;

    /// <param name="pools">The endpoint table (for routes of an older map).</param>
    /// <param name="connector">Opens the chosen endpoint through its guard.</param>
    /// <param name="ambient">The per-flow context whose read-your-writes scope supplies causal tokens.</param>
    /// <param name="metrics">Records fallbacks to the primary.</param>
    /// <param name="logger">Logs failed replica opens, causal waits and capped fallbacks.</param>
    public ReplicaRouter(EndpointPools pools, EndpointConnector connector, AmbientContext ambient, RoutingMetrics metrics, ILogger logger)
    {
        _pools = pools;
        _connector = connector;
        _ambient = ambient;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when <paramref name="options"/> has an undefined preference or a negative maximum lag.</summary>
    public static void Validate(ReadOptions options)
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
    }

    /// <summary>
    /// Opens a connection that serves a read of <paramref name="slot"/> as <paramref name="options"/> say (validated with
    /// <see cref="Validate"/>), routed with <paramref name="state"/>: the primary for <see cref="ReadPreference.Primary"/>;
    /// otherwise an eligible replica that has applied the read's causal token (its own, or the latest of its cluster in the
    /// flow's <see cref="ReadYourWritesScope"/>), else the primary within the cluster's fallback cap (or, for
    /// <see cref="ReadPreference.ReplicaOnly"/>, <see cref="ShardKitErrorCode.ShardUnavailable"/>).
    /// </summary>
    public ValueTask<ShardConnection> OpenAsync(RoutingState state, ShardSlot slot, ReadOptions options, CancellationToken cancellationToken)
    {
        var preference = options.Preference;
        if (preference == ReadPreference.Primary)
        {
            return OpenPrimaryAsync(state, slot, options.NonEssential, cancellationToken);
        }

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
            replicas = new ReplicaSet(slot.Cluster.Replicas.Select(r => _pools.Get(r, slot.Cluster.Name, isReplica: true)).ToArray());
            budget = s_unlimitedFallbacks;
        }

        if (replicas.Count == 0)
        {
            return preference == ReadPreference.PreferReplica
                ? OpenPrimaryAsync(state, slot, options.NonEssential, cancellationToken)
                : throw new ShardKitException(
                    ShardKitErrorCode.ShardUnavailable,
                    $"Cannot read shard {slot.Name} from a replica: cluster '{slot.Cluster.Name}' has no replica configured.")
                {
                    Shard = slot.Name,
                };
        }

        var token = options.CausalToken ?? _ambient.ReadYourWritesToken(slot.Cluster.Name);
        if (token is not null && !string.Equals(token.Cluster, slot.Cluster.Name, StringComparison.OrdinalIgnoreCase))
        {
            token = null;
        }

        var maxLag = options.MaxLag is { } maxLag1 ? (long)maxLag1.TotalMilliseconds : state.DefaultMaxLagMilliseconds;
        return OpenReplicaAsync(state, slot, replicas, budget, options, token, maxLag, state.CausalReadWait, cancellationToken);
    }

    private async ValueTask<ShardConnection> OpenReplicaAsync(
        RoutingState state, ShardSlot slot, ReplicaSet replicas, FallbackBudget budget, ReadOptions options, CausalToken? token, long maxLag, TimeSpan wait, CancellationToken cancellationToken)
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
                shard = await _connector.OpenAsync(slot, replica, ShardIntent.Read, options.NonEssential, cancellationToken).ConfigureAwait(false);
            }
            catch (ShardKitException ex) when (ex.ErrorCode is ShardKitErrorCode.ShardUnavailable or ShardKitErrorCode.Overloaded)
            {
                ReplicationLog.ReplicaOpenFailed(_logger, ex, replica.Endpoint.Address, slot.Cluster.Name, slot.Name);
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
            ReplicationLog.CausalReadOnPrimary(_logger, replica.Endpoint.Address, token.Gtid, wait, slot.Name);
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
            ReplicationLog.FallbackCapReached(_logger, slot.Cluster.Name, slot.Name);
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
            ReplicationLog.CausalReadOnPrimary(_logger, "(no eligible replica)", token.Gtid, wait, slot.Name);
        }

        return await OpenPrimaryAsync(state, slot, options.NonEssential, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<ShardConnection> OpenPrimaryAsync(RoutingState state, ShardSlot slot, bool nonEssential, CancellationToken cancellationToken) =>
        _connector.OpenAsync(slot, _pools.PrimaryOf(state, slot), ShardIntent.Read, nonEssential, cancellationToken);

    private async ValueTask<bool> HasAppliedAsync(
        DbConnection connection, ShardSlot slot, ShardEndpoint endpoint, CausalToken token, TimeSpan wait, CancellationToken cancellationToken)
    {
        // A token of the other flavour cannot be waited for on this server (a MySQL GTID on MariaDB, or the reverse).
        var serverFlavor = GtidDialect.ServerFlavor(connection.ServerVersion);
        if (serverFlavor is not null && serverFlavor != GtidDialect.FlavorOf(token.Gtid))
        {
            ReplicationLog.CausalFlavorMismatch(_logger, endpoint.Address, token.Gtid, slot.Name);
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
            ReplicationLog.CausalWaitFailed(_logger, ex, endpoint.Address, token.Gtid, slot.Name);
            return false;
        }
    }
}

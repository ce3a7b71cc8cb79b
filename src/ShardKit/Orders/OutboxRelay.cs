using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Hosting;

namespace ShardKit.Orders;

/// <summary>
/// The background relay of the two-dimension writes: scans the pending outbox entries of user shards and applies the
/// orders' merchant copies a batch at a time (one snapshot read of the user side, one version-guarded multi-row
/// transaction per merchant shard, one statement marking the entries), retrying failures with exponential backoff.
/// Applies are idempotent, so a relay stopped anywhere, even mid-batch, and started again ends in the same state, and
/// two relays applying the same order never move its merchant copy back to an older version.
/// </summary>
/// <remarks>
/// Run as a hosted service, every instance's relay takes a lease on its share of the user shards
/// (<see cref="OutboxRelayOptions.Leases"/>) and polls only those, so N instances share the work instead of each
/// polling every shard; the shards of an instance that stops or dies are taken over within
/// <see cref="ShardLeaseOptions.LeaseDuration"/>. <see cref="DrainAsync"/> (tools, tests) drains every user shard,
/// leases or not.
/// </remarks>
public sealed class OutboxRelay : BackgroundService
{
    private const string DueEntries = """
        SELECT id, order_id, version, attempts FROM {schema}.`shardkit_outbox`
        WHERE applied_at IS NULL AND next_attempt_at <= @Now AND id > @After
        ORDER BY id LIMIT @Limit
        """;

    private const string Postpone = """
        UPDATE {schema}.`shardkit_outbox` SET attempts = attempts + 1, next_attempt_at = @Next, last_error = @Error
        WHERE order_id = @OrderId AND applied_at IS NULL AND id <= @UpTo
        """;

    /// <summary>Merchant shards written side by side per batch of one user shard.</summary>
    private const int MerchantParallelism = 4;

    private const string MarkApplied = "UPDATE {schema}.`shardkit_outbox` SET applied_at = @Now WHERE id IN @Ids AND applied_at IS NULL";

    private const string Purge = "DELETE FROM {schema}.`shardkit_outbox` WHERE applied_at IS NOT NULL AND applied_at < @Before LIMIT 1000";

    /// <summary>The kind of work under which the relay's shard leases are recorded.</summary>
    internal const string LeaseKind = "outbox";

    private readonly TwoDimensionOrderStore _store;
    private readonly OutboxRelayOptions _options;
    private readonly ShardLeaseKeeper? _leases;
    private long _appliedEntries;

    /// <summary>Creates a relay for the outboxes written by <paramref name="store"/>.</summary>
    /// <param name="store">The store whose data source, logger and metrics the relay uses.</param>
    /// <param name="options">Polling, batching and retry settings; the defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public OutboxRelay(TwoDimensionOrderStore store, OutboxRelayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new OutboxRelayOptions();
        OptionsValidator<OutboxRelayOptions>.ThrowIfInvalid(_options, "options");
        _leases = _options.Leases.Enabled ? new ShardLeaseKeeper(store.DataSource, LeaseKind, _options.Leases, store.Logger) : null;
    }

    /// <summary>
    /// The user shards the hosted relay polls: those whose lease it holds now (none before it starts), or every user
    /// shard when <see cref="ShardLeaseOptions.Enabled"/> is <see langword="false"/>.
    /// </summary>
    public IReadOnlyList<int> HeldShards =>
        _leases?.HeldShards ?? _store.DataSource.Map.GetRoutes(ShardDimension.User).Select(r => r.Shard).ToList();

    /// <summary>The relay's shard leases; <see langword="null"/> when leases are off.</summary>
    internal ShardLeaseKeeper? Leases => _leases;

    /// <summary>Outbox entries this relay has marked applied since it was created, counted as each shard's drain ends.</summary>
    internal long AppliedEntries => Interlocked.Read(ref _appliedEntries);

    /// <summary>
    /// Makes one pass over every user shard: applies every entry due now (in batches, until none is left), postpones
    /// the ones that fail, deletes applied entries older than <see cref="OutboxRelayOptions.AppliedRetention"/> and
    /// refreshes the lag gauges.
    /// </summary>
    /// <param name="cancellationToken">Stops the pass; what was applied stays applied, the rest stays pending.</param>
    /// <remarks>Every user shard, whatever the leases: an explicit drain (tools, tests) does not wait for a share.</remarks>
    public Task<OutboxDrainResult> DrainAsync(CancellationToken cancellationToken = default) =>
        DrainRoutesAsync(_store.DataSource.Map.GetRoutes(ShardDimension.User).ToList(), cancellationToken);

    /// <summary>One pass over the user shards whose lease this relay holds (every shard when leases are off).</summary>
    internal Task<OutboxDrainResult> DrainHeldAsync(CancellationToken cancellationToken) =>
        DrainRoutesAsync(_store.DataSource.Map.GetRoutes(ShardDimension.User).Where(r => _leases is null || _leases.IsHeld(r.Shard)).ToList(), cancellationToken);

    private async Task<OutboxDrainResult> DrainRoutesAsync(List<ShardRoute> routes, CancellationToken cancellationToken)
    {
        long applied = 0;
        long failed = 0;
        var unavailable = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(
            routes,
            new ParallelOptions { MaxDegreeOfParallelism = _options.Parallelism, CancellationToken = cancellationToken },
            async (route, ct) =>
            {
                try
                {
                    var (shardApplied, shardFailed) = await DrainShardAsync(route, ct).ConfigureAwait(false);
                    Interlocked.Add(ref applied, shardApplied);
                    Interlocked.Add(ref _appliedEntries, shardApplied);
                    Interlocked.Add(ref failed, shardFailed);
                    await _store.MeasureLagAsync(route, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is System.Data.Common.DbException or ShardKitException)
                {
                    OutboxLog.RelayShardFailed(_store.Logger, ex, route.Name);
                    unavailable.Add(route.Name);
                }
            }).ConfigureAwait(false);

        OutboxLog.RelayPassCompleted(_store.Logger, applied, failed, unavailable.Count);
        return new OutboxDrainResult { Applied = applied, Failed = failed, UnavailableShards = unavailable.Order(StringComparer.Ordinal).ToList() };
    }

    /// <summary>
    /// Keeps this instance's shard leases (see <see cref="OutboxRelayOptions.Leases"/>) and makes a pass over the held
    /// shards every <see cref="OutboxRelayOptions.PollInterval"/> until the host stops; then releases the leases.
    /// </summary>
    /// <param name="stoppingToken">Signals the host is stopping.</param>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_leases is null)
        {
            await PollAsync(stoppingToken).ConfigureAwait(false);
            return;
        }

        var leases = Task.Run(() => _leases.RunAsync(stoppingToken), CancellationToken.None);
        try
        {
            await _leases.FirstRefresh.WaitAsync(stoppingToken).ConfigureAwait(false);
            await PollAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await leases.ConfigureAwait(false);
        }
    }

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        var time = _store.DataSource.TimeProvider;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DrainHeldAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                OutboxLog.RelayPassFailed(_store.Logger, ex);
            }

            try
            {
                await Task.Delay(_options.PollInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<(long Applied, long Failed)> DrainShardAsync(ShardRoute route, CancellationToken cancellationToken)
    {
        long applied = 0;
        long failed = 0;
        var time = _store.DataSource.TimeProvider;
        var shard = await _store.DataSource.OpenAsync(route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            // The cursor moves forward through the pass, so an entry that cannot be marked is not read again and again.
            long after = 0;
            while (true)
            {
                var entries = (await shard.Connection.QueryAsync<(long Id, long OrderId, long Version, int Attempts)>(new CommandDefinition(
                    shard.Sql(DueEntries),
                    new { Now = OrderReader.Now(time).UtcDateTime, After = after, Limit = _options.BatchSize },
                    cancellationToken: cancellationToken)).ConfigureAwait(false))
                    .Select(e => new PendingEntry(e.Id, e.OrderId, e.Version, e.Attempts))
                    .ToList();
                if (entries.Count == 0)
                {
                    break;
                }

                after = entries[^1].Id;
                var (batchApplied, batchFailed) = await ApplyBatchAsync(shard, route, entries, cancellationToken).ConfigureAwait(false);
                applied += batchApplied;
                failed += batchFailed;

                if (entries.Count < _options.BatchSize)
                {
                    break;
                }
            }

            await shard.Connection.ExecuteAsync(new CommandDefinition(
                shard.Sql(Purge), new { Before = (OrderReader.Now(time) - _options.AppliedRetention).UtcDateTime }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return (applied, failed);
    }

    /// <summary>
    /// Applies one batch of due entries of a user shard at once: the user-side states of all their orders in one snapshot
    /// (one round trip), the merchant copies grouped by merchant shard (one round trip and transaction per merchant shard,
    /// version-guarded, so idempotent and never older over newer), then every entry the copies satisfy marked applied in
    /// one statement. A merchant shard that fails postpones only its own orders (each with its backoff); if the shard was
    /// reachable but refused the batch, its orders are tried one by one, so one bad order does not hold back the others.
    /// </summary>
    private async Task<(long Applied, long Failed)> ApplyBatchAsync(ShardConnection shard, ShardRoute route, List<PendingEntry> entries, CancellationToken cancellationToken)
    {
        var byOrder = entries.GroupBy(e => e.OrderId).ToDictionary(g => g.Key, g => g.ToList());
        var failures = new List<(List<PendingEntry> Entries, Exception Error)>();
        Dictionary<long, UserSideState> states;
        try
        {
            states = await _store.Applier.ReadUserSidesAsync(shard, byOrder.Keys.ToList(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failures.AddRange(byOrder.Values.Select(e => (e, ex)));
            var (postpone, postponeParameters) = Postponements(shard, route, failures);
            await shard.Connection.ExecuteAsync(new CommandDefinition(postpone.ToString(), postponeParameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return (0, failures.Count);
        }

        var done = new List<(List<PendingEntry> Entries, long Version)>(byOrder.Count);
        foreach (var (orderId, orderEntries) in byOrder)
        {
            if (!states.ContainsKey(orderId))
            {
                // No trace on the user side: nothing to apply, and nothing will ever be.
                OutboxLog.OrphanOutboxEntry(_store.Logger, orderId, route.Name);
                done.Add((orderEntries, long.MaxValue));
            }
        }

        // The merchant shards of one batch are written side by side (each in its own transaction).
        var map = _store.DataSource.Map;
        var groups = states.Values.GroupBy(s => map.RouteOrder(s.Id, ShardDimension.Merchant)).Select(g => (Route: g.Key, Copies: g.ToList())).ToList();
        var outcomes = new (List<(List<PendingEntry>, long)> Done, List<(List<PendingEntry>, Exception)> Failed)[groups.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, groups.Count),
            new ParallelOptions { MaxDegreeOfParallelism = MerchantParallelism, CancellationToken = cancellationToken },
            async (g, ct) => outcomes[g] = await ApplyToMerchantShardAsync(groups[g].Route, groups[g].Copies, byOrder, ct).ConfigureAwait(false)).ConfigureAwait(false);
        foreach (var (groupDone, groupFailed) in outcomes)
        {
            done.AddRange(groupDone);
            failures.AddRange(groupFailed);
        }

        foreach (var (orderEntries, _) in done)
        {
            await _store.Applier.AfterMerchantWriteAsync(OrderId.FromValidatedValue(orderEntries[0].OrderId)).ConfigureAwait(false);
        }

        // Every entry up to the version applied is satisfied (the merchant copy holds that version or a newer one): marked
        // in one statement, sent with the postponements of the failed orders as one round trip.
        var satisfied = done.SelectMany(d => d.Entries.Where(e => e.Version <= d.Version)).Select(e => e.Id).ToList();
        var (sql, parameters) = Postponements(shard, route, failures);
        if (satisfied.Count > 0)
        {
            sql.Insert(0, shard.Sql(MarkApplied) + (sql.Length > 0 ? ";\n" : ""));
            parameters.Add("Ids", satisfied);
            parameters.Add("Now", OrderReader.Now(_store.DataSource.TimeProvider).UtcDateTime);
        }

        if (sql.Length > 0)
        {
            await shard.Connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return (satisfied.Count, failures.Count);
    }

    /// <summary>
    /// Writes one merchant shard's copies of a batch; if the shard was reachable but refused the batch, tries its orders one
    /// by one, so one bad order does not hold back the others. Returns the orders applied and the orders that failed.
    /// </summary>
    private async Task<(List<(List<PendingEntry>, long)> Done, List<(List<PendingEntry>, Exception)> Failed)> ApplyToMerchantShardAsync(
        ShardRoute merchantRoute, List<UserSideState> copies, Dictionary<long, List<PendingEntry>> byOrder, CancellationToken cancellationToken)
    {
        var done = new List<(List<PendingEntry>, long)>(copies.Count);
        var failed = new List<(List<PendingEntry>, Exception)>();
        var failure = await TryWriteCopiesAsync(merchantRoute, copies, cancellationToken).ConfigureAwait(false);
        if (failure is null)
        {
            done.AddRange(copies.Select(c => (byOrder[c.Id.Value], c.Version)));
        }
        else if (failure is ShardKitException || copies.Count == 1 || ShardKitErrors.IsTransient(failure))
        {
            // The shard is unreachable (or still failing after the retries), or the one order failed: postpone its orders.
            failed.AddRange(copies.Select(c => (byOrder[c.Id.Value], failure)));
        }
        else
        {
            foreach (var copy in copies)
            {
                if (await TryWriteCopiesAsync(merchantRoute, [copy], cancellationToken).ConfigureAwait(false) is { } error)
                {
                    failed.Add((byOrder[copy.Id.Value], error));
                }
                else
                {
                    done.Add((byOrder[copy.Id.Value], copy.Version));
                }
            }
        }

        return (done, failed);
    }

    /// <summary>Writes the copies of one merchant shard; returns the failure instead of throwing it (cancellation excepted).</summary>
    private async Task<Exception?> TryWriteCopiesAsync(ShardRoute merchantRoute, List<UserSideState> copies, CancellationToken cancellationToken)
    {
        try
        {
            var merchantShard = await _store.DataSource.OpenAsync(merchantRoute, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
            await using (merchantShard.ConfigureAwait(false))
            {
                await _store.Applier.WriteCopiesAsync(merchantShard, copies, cancellationToken).ConfigureAwait(false);
            }

            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ex;
        }
    }

    /// <summary>The postponements of the failed orders (each with its own backoff) as statements for one round trip.</summary>
    private (System.Text.StringBuilder Sql, DynamicParameters Parameters) Postponements(ShardConnection shard, ShardRoute route, List<(List<PendingEntry> Entries, Exception Error)> failures)
    {
        var sql = new System.Text.StringBuilder();
        var parameters = new DynamicParameters();
        var now = OrderReader.Now(_store.DataSource.TimeProvider);
        for (var i = 0; i < failures.Count; i++)
        {
            var (orderEntries, error) = failures[i];
            var orderId = orderEntries[0].OrderId;
            var attempt = orderEntries.Max(e => e.Attempts) + 1;
            var delay = RetryBackoff.Delay(attempt, _options.RetryBaseDelay, _options.RetryMaxDelay);
            OutboxLog.RelayApplyFailed(_store.Logger, error, orderId, route.Name, attempt, (long)delay.TotalMilliseconds);
            var n = "F" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "_";
            sql.Append(i == 0 ? "" : ";\n").Append(shard.Sql(Postpone).Replace("@", "@" + n, StringComparison.Ordinal));
            parameters.Add(n + "OrderId", orderId);
            parameters.Add(n + "UpTo", orderEntries.Max(e => e.Id));
            parameters.Add(n + "Next", (now + delay).UtcDateTime);
            parameters.Add(n + "Error", Truncate(error.Message));
        }

        return (sql, parameters);
    }

    private static string Truncate(string message) => message.Length <= 512 ? message : message[..509] + "...";
}

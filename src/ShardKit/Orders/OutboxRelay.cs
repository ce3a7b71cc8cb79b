using System.Collections.Concurrent;
using Dapper;
using Microsoft.Extensions.Hosting;

namespace ShardKit.Orders;

/// <summary>
/// The background relay of the two-dimension writes: scans the pending outbox entries of user shards and applies each
/// order's merchant copy (re-read the user side, version-guarded upsert, mark the entries), retrying failures with
/// exponential backoff. Applies are idempotent, so a relay stopped anywhere, even mid-batch, and started again ends in
/// the same state, and two relays applying the same order never move its merchant copy back to an older version.
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
                foreach (var order in entries.GroupBy(e => e.OrderId))
                {
                    var upTo = order.Max(e => e.Id);
                    var orderId = OrderId.FromValidatedValue(order.Key);
                    try
                    {
                        var version = await _store.Applier.ApplyAsync(shard, orderId, force: false, cancellationToken).ConfigureAwait(false);
                        if (version is null)
                        {
                            OutboxLog.OrphanOutboxEntry(_store.Logger, order.Key, route.Name);
                        }

                        applied += version is null ? order.Count() : order.Count(e => e.Version <= version);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        failed++;
                        var attempt = order.Max(e => e.Attempts) + 1;
                        var delay = RetryBackoff.Delay(attempt, _options.RetryBaseDelay, _options.RetryMaxDelay);
                        OutboxLog.RelayApplyFailed(_store.Logger, ex, order.Key, route.Name, attempt, (long)delay.TotalMilliseconds);
                        await shard.Connection.ExecuteAsync(new CommandDefinition(
                            shard.Sql(Postpone),
                            new { OrderId = order.Key, UpTo = upTo, Next = (OrderReader.Now(time) + delay).UtcDateTime, Error = Truncate(ex.Message) },
                            cancellationToken: cancellationToken)).ConfigureAwait(false);
                    }
                }

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

    private static string Truncate(string message) => message.Length <= 512 ? message : message[..509] + "...";
}

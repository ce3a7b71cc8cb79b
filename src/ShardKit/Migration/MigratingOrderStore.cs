using System.Data.Common;
using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace ShardKit.Migration;

/// <summary>
/// The order store of an application that runs while its orders move online from the legacy database
/// (<see cref="ShardKitOptions.Legacy"/>) to the shards (<c>shardkit migrate</c>, see docs/migration.md). Every write and
/// read goes to the side that is authoritative for its bucket (the user's logical user shard): the legacy database, or
/// the shards through <see cref="TwoDimensionOrderStore"/>.
/// </summary>
/// <remarks>
/// <para>
/// The control schema tells which side a bucket is on; the store reads it every <see cref="MigratingOrderStoreOptions.PollInterval"/>
/// and acknowledges the state version it has seen. That is only a routing hint: the capture triggers of both sides
/// (<see cref="LegacyCapture"/>) take a shared lock on the bucket's fence row in every write's own transaction, refuse the
/// write on the side that does not serve the bucket (the store then retries it on the other side) and log the keys written
/// while capturing. A cutover holds the fence exclusively while it switches a bucket, so writes of that bucket wait for it
/// (under a second) and then go to the new side: at most one side accepts a bucket's writes, whatever an instance — or a
/// script writing plain SQL — believes.
/// </para>
/// <para>
/// Each acknowledgement also reports the 99th percentile of this instance's operation latency since the previous one, so
/// that the migrator's copy throttle can hold back while the application slows down (<c>--max-writer-p99-ms</c>).
/// </para>
/// </remarks>
public sealed partial class MigratingOrderStore : IAsyncDisposable
{
    private const int LockConflictAttempts = 5;

    private readonly MigratingOrderStoreOptions _options;
    private readonly TwoDimensionOrderStore _target;
    private readonly OrderIdGenerator _ids;
    private readonly ILogger _logger;
    private readonly ShardCluster _controlCluster;
    private readonly AlternateKeyStore _keys;
    private readonly ILegacyIdMap _legacyIds;
    private readonly CancellationTokenSource _stop = new();
    private readonly Authority[] _hints;
    private readonly LatencyWindow _latency = new();
    private readonly ResiliencePipeline _lockConflictRetry;
    private readonly Task _poller;
    private LegacySource? _source;
    private LegacyIdAssigner? _assigner;
    private long _stateVersion = -1;
    private volatile bool _complete;

    /// <summary>Creates the store and starts following the control state.</summary>
    /// <param name="dataSource">The routed data source; its topology must name the legacy database (<see cref="ShardKitOptions.Legacy"/> with a database).</param>
    /// <param name="ids">Issues the ShardKit IDs of new orders and of legacy orders looked up before the backfill reached them.</param>
    /// <param name="options">The control cluster, writer name and timings; defaults when null.</param>
    /// <param name="loggerFactory">Logs control-state polls that fail; the default logs nothing.</param>
    /// <exception cref="ArgumentException">An option is out of range, the control cluster is not in the topology, or <paramref name="dataSource"/> is a migrator's (its sessions pass the capture triggers).</exception>
    public MigratingOrderStore(ShardKitDataSource dataSource, OrderIdGenerator ids, MigratingOrderStoreOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(ids);
        _options = options ?? new MigratingOrderStoreOptions();
        OptionsValidator<MigratingOrderStoreOptions>.ThrowIfInvalid(_options, "options");
        if (dataSource.SessionStatement is not null)
        {
            throw new ArgumentException("This data source is a migrator's: its writes pass the migration's fence and capture unrecorded. Build the application's own data source for MigratingOrderStore.", nameof(dataSource));
        }

        DataSource = dataSource;
        _lockConflictRetry = TransientRetry.Create(LockConflictAttempts, TimeSpan.FromMilliseconds(5), dataSource.TimeProvider, IsLockConflict);
        _ids = ids;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<MigratingOrderStore>();
        _controlCluster = ControlSchema.Cluster(dataSource.Map, _options.ControlCluster);
        _keys = new AlternateKeyStore(dataSource, options: null, loggerFactory);
        _legacyIds = new AlternateKeyLegacyIdMap(_keys);
        _target = new TwoDimensionOrderStore(dataSource, new TwoDimensionOrderStoreOptions(), loggerFactory);
        _hints = new Authority[dataSource.Map.GetShardCount(ShardDimension.User)];
        WriterId = _options.WriterId ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        _poller = Task.Run(PollAsync);
    }

    /// <summary>The data source the store routes through.</summary>
    public ShardKitDataSource DataSource { get; }

    /// <summary>This instance's name in the control schema's writers table.</summary>
    public string WriterId { get; }

    /// <summary>The control state version this instance last read and acknowledged; -1 before the first read or when no migration is planned.</summary>
    public long StateVersion => Interlocked.Read(ref _stateVersion);

    /// <summary>Creates an order (version 1) on the side that is authoritative for its user's bucket.</summary>
    /// <param name="order">The order, with an ID from <see cref="OrderIdGenerator"/>.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The order as stored.</returns>
    /// <exception cref="ArgumentException">The order is invalid, or its ID was used by a deleted order.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: a side cannot be reached, or the bucket stayed in a switch longer than <see cref="MigratingOrderStoreOptions.MaxRedirectWait"/>.</exception>
    public Task<OrderRecord> CreateAsync(OrderRecord order, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        OrderValidation.Validate(order, DataSource.Map);
        return RouteAsync(order.Id, side => side == Authority.Source
            ? CreateOnSourceAsync(order, cancellationToken)
            : _target.CreateAsync(order, cancellationToken), cancellationToken);
    }

    /// <summary>Replaces an order's status, amount, currency, extension fields and items and raises its version by one.</summary>
    /// <param name="order">The new content; its ID, user and merchant name the order.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The order as stored, or <see langword="null"/> when it does not exist.</returns>
    /// <exception cref="ArgumentException">The order is invalid.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: as for <see cref="CreateAsync"/>.</exception>
    public Task<OrderRecord?> UpdateAsync(OrderRecord order, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        OrderValidation.Validate(order, DataSource.Map);
        return RouteAsync(order.Id, side => side == Authority.Source
            ? UpdateOnSourceAsync(order, cancellationToken)
            : _target.UpdateAsync(order, cancellationToken), cancellationToken);
    }

    /// <summary>Deletes an order, leaving a tombstone so that no copy brings it back.</summary>
    /// <param name="orderId">The order.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> if the order existed and was deleted.</returns>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: as for <see cref="CreateAsync"/>.</exception>
    public Task<bool> DeleteAsync(OrderId orderId, CancellationToken cancellationToken = default) =>
        RouteAsync(orderId, side => side == Authority.Source
            ? DeleteOnSourceAsync(orderId, cancellationToken)
            : _target.DeleteAsync(orderId, cancellationToken), cancellationToken);

    /// <summary>Reads an order with its items from the side that is authoritative for its bucket.</summary>
    /// <param name="orderId">The order.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The order, or <see langword="null"/> when it does not exist.</returns>
    public Task<OrderRecord?> GetAsync(OrderId orderId, CancellationToken cancellationToken = default) =>
        RouteAsync(orderId, side => side == Authority.Source
            ? GetOnSourceAsync(orderId, cancellationToken)
            : GetOnTargetAsync(orderId, cancellationToken), cancellationToken);

    /// <summary>
    /// Reads an order by its legacy (pre-migration, auto-increment) ID, before or after its bucket's cutover. A legacy order
    /// that the backfill has not reached yet gets its ShardKit ID now (the same one the backfill will find).
    /// </summary>
    /// <param name="legacyId">The legacy order ID (positive).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The order, or <see langword="null"/> when no order has that legacy ID (or it was deleted).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="legacyId"/> is not positive.</exception>
    public async Task<OrderRecord?> FindByLegacyIdAsync(long legacyId, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(legacyId);
        var orderId = await _legacyIds.FindAsync(legacyId, cancellationToken).ConfigureAwait(false);
        if (orderId is { } mapped)
        {
            var order = await GetAsync(mapped, cancellationToken).ConfigureAwait(false);
            if (order is not null || _complete)
            {
                return order;
            }

            // Mapped but not found: the backfill may have claimed the ID and not yet recorded it on the legacy row (or the
            // order was deleted). Recording it now (the same claim, so the same ID) finds the order either way.
        }

        if (!_complete)
        {
            orderId = await _lockConflictRetry.ExecuteAsync(
                static (s, ct) => new ValueTask<OrderId?>(s.Self.AssignLegacyIdAsync(s.LegacyId, ct)),
                (Self: this, LegacyId: legacyId),
                cancellationToken).ConfigureAwait(false);
        }

        return orderId is { } id ? await GetAsync(id, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>Reads the control state now, updates the routing and acknowledges the state version (the poller does this every interval).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the control cluster cannot be reached.
    /// <see cref="ShardKitErrorCode.InvalidTopology"/>: the control schema holds an import that an earlier ShardKit version started.</exception>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var connection = await DataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            (string Phase, long StateVersion)? migration;
            try
            {
                migration = await connection.QuerySingleOrDefaultAsync<(string, long)?>(new CommandDefinition(ControlSchema.ReadMigration, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
            {
                migration = null;
            }

            if (migration is not { } m)
            {
                return;
            }

            if (m.StateVersion != StateVersion)
            {
                IEnumerable<(int Bucket, string State, int Epoch)> buckets;
                try
                {
                    buckets = await connection.QueryAsync<(int Bucket, string State, int Epoch)>(new CommandDefinition(ControlSchema.ReadBuckets, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }
                catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
                {
                    throw new ShardKitException(
                        ShardKitErrorCode.InvalidTopology,
                        $"The control schema on cluster {_controlCluster.Name} holds a legacy import but no `{ControlSchema.Name}`.`{ControlSchema.Units}` table: "
                        + "the import was started by an earlier ShardKit version, which keeps the bucket states elsewhere. Finish it with that version "
                        + "before applications of this one follow it; until then this instance keeps routing as it did.",
                        ex);
                }

                foreach (var bucket in buckets.Where(b => b.Bucket < _hints.Length))
                {
                    _hints[bucket.Bucket] = MigrationStates.Parse(bucket.State) is BucketState.Moved or BucketState.Reverse or BucketState.Complete
                        ? Authority.Target
                        : Authority.Source;
                }

                _complete = MigrationStates.Parse(m.Phase) == BucketState.Complete;
            }

            await connection.ExecuteAsync(new CommandDefinition(
                ControlSchema.Acknowledge, new { WriterId, m.StateVersion, Host = Environment.MachineName, LatencyP99 = _latency.TakeP99() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            Interlocked.Exchange(ref _stateVersion, m.StateVersion);
        }
    }

    /// <summary>Stops following the control state and removes this instance from the writers table (best effort).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _poller.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            var connection = await DataSource.OpenClusterAsync(_controlCluster, CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await connection.ExecuteAsync(ControlSchema.RemoveWriter, new { WriterId }).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is DbException or ShardKitException)
        {
            // The row ages out: the migrator only waits for writers with a recent heartbeat.
        }

        _target.Dispose();
        _keys.Dispose();
        _stop.Dispose();
    }

    // The data source's TopologyMonitor is the poller of the control schema's placements; this store keeps its own poll
    // because a round is a read-then-acknowledge handshake of this instance: it reads the migration's state version and
    // buckets, switches its own hints, then writes its writer row (WriterId, version, p99 of its own operations) that the
    // migrator's cutover waits for. It runs on MigratingOrderStoreOptions.PollInterval against its own ControlCluster,
    // whether or not ShardKit:ShardMoves is set (it usually is not during a migration), and lives and ends with the store.
    private async Task PollAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                MigrationLog.ControlPollFailed(_logger, ex);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(_options.PollInterval, DataSource.TimeProvider, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Runs <paramref name="operation"/> on the side the hint names; a fence that names the other side re-routes it.</summary>
    private async Task<T> RouteAsync<T>(OrderId orderId, Func<Authority, Task<T>> operation, CancellationToken cancellationToken)
    {
        var bucket = orderId.UserShard;
        if ((uint)bucket >= (uint)_hints.Length)
        {
            throw new ShardKitException(ShardKitErrorCode.InvalidOrderId, $"Order ID {orderId} names user shard {bucket}, which the map does not have.");
        }

        var side = _complete ? Authority.Target : _hints[bucket];
        var started = Stopwatch.GetTimestamp();
        var redirects = 0;
        while (true)
        {
            try
            {
                // A deadlock (or lock wait timeout) with the migrator's copy or another writer rolled the whole transaction
                // back, so running it again is safe.
                var result = await _lockConflictRetry.ExecuteAsync(
                    static (s, _) => new ValueTask<T>(s.Operation(s.Side)), (Operation: operation, Side: side), cancellationToken).ConfigureAwait(false);
                _latency.Record(started);
                return result;
            }
            catch (Exception ex) when (ex is FenceRedirectException || ShardFenceSignal.Find(ex) is { Side: not null })
            {
                var servedBy = ex is FenceRedirectException redirect ? redirect.Authority : ShardFenceSignal.Find(ex)!.Side!.Value;
                _hints[bucket] = servedBy;
                side = servedBy;
                redirects++;
                if (Stopwatch.GetElapsedTime(started) > _options.MaxRedirectWait)
                {
                    throw new ShardKitException(
                        ShardKitErrorCode.ShardUnavailable,
                        $"Bucket {bucket} (user:{bucket}) has been switching between the legacy database and the shards for more than {_options.MaxRedirectWait.TotalSeconds:0.#} s; retry later.",
                        ex)
                    {
                        Shard = "user:" + bucket.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    };
                }

                // The first redirect follows a switch that has completed; more mean the switch is still in progress.
                if (redirects > 1)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, 5 << Math.Min(redirects, 5))), cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static bool IsLockConflict(DbException exception) =>
        exception.SqlState == "40001" || exception.Message.Contains("Lock wait timeout", StringComparison.OrdinalIgnoreCase);

    private async Task<OrderRecord?> GetOnTargetAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        var shard = await DataSource.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var transaction = await shard.Connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var fence = await ShardFence.ReadAsync(shard.Connection, shard.Sql("{schema}"), transaction, ShardFence.Shared, cancellationToken).ConfigureAwait(false);
                if (fence is { ServedByLegacy: true })
                {
                    throw new FenceRedirectException(orderId.UserShard, Authority.Source);
                }

                var rows = await OrderReader.QueryOrdersAsync(shard, shard.Sql("SELECT " + OrderReader.Columns + " FROM {orders} WHERE order_id = @OrderId"), new { OrderId = orderId.Value }, transaction, cancellationToken).ConfigureAwait(false);
                rows = await OrderReader.WithItemsAsync(shard, rows, transaction, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return rows.Count == 0 ? null : rows[0];
            }
        }
    }
}

using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ShardKit.Orders;

/// <summary>
/// Writes orders in two dimensions: each create, update or delete is one local transaction on the order's
/// user-shard primary that writes the order, its items and an outbox entry (<c>shardkit_outbox</c>). Right after
/// the commit the merchant copy is applied (best effort: if the merchant shard is unreachable the write still
/// succeeds and <see cref="OutboxRelay"/> applies it later). The store's own writes apply the state they have just
/// committed (no re-read); the relay and repairs read the current user-side state. Every apply upserts with a version
/// guard, so applies are idempotent and may run in any order; deletes leave tombstones.
/// </summary>
/// <remarks>
/// Call <see cref="EnsureSchemaAsync"/> once per deployment (it is idempotent). Do not call the write methods
/// inside a <see cref="ShardTransaction"/>: each write is its own transaction on the user shard.
/// </remarks>
public sealed partial class TwoDimensionOrderStore : IDisposable
{
    private const string InsertOrder = """
        INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext)
        VALUES (@OrderId, @UserId, @MerchantId, @Status, @TotalAmount, @Currency, @Now, @Now, 1, @Ext)
        """;

    private const string UpdateOrder = """
        UPDATE {orders} SET status = @Status, total_amount = @TotalAmount, currency = @Currency, ext = @Ext, updated_at = @Now, version = version + 1
        WHERE order_id = @OrderId AND user_id = @UserId AND merchant_id = @MerchantId
        """;

    private const string LockOrder = "SELECT " + OrderReader.Columns + " FROM {orders} WHERE order_id = @OrderId FOR UPDATE";
    private const string DeleteItems = "DELETE FROM {order_items} WHERE order_id = @OrderId";
    private const string DeleteOrder = "DELETE FROM {orders} WHERE order_id = @OrderId";
    private const string IsTombstoned = "SELECT COUNT(*) FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId";

    private const string InsertOutbox = """
        INSERT INTO {schema}.`shardkit_outbox` (order_id, version, op, created_at, next_attempt_at)
        VALUES (@OrderId, @Version, @Op, @Now, @Now)
        """;

    private readonly TwoDimensionOrderStoreOptions _options;
    private readonly InlineCopyGate _copyGate;
    private readonly OutboxMarker _marker;

    /// <summary>Creates a store that reaches the shards through <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">The routed data source.</param>
    /// <param name="options">How the merchant copy is kept; defaults apply it right after each write.</param>
    /// <param name="loggerFactory">Logs apply failures (event IDs 5xxx); the default logs nothing.</param>
    /// <param name="alternateKeys">
    /// The alternate-key store orders are created with keys through
    /// (<see cref="CreateAsync(OrderRecord, IReadOnlyCollection{AlternateKey}, CancellationToken)"/>) and whose keys a delete releases;
    /// <see langword="null"/> when orders have no alternate keys.
    /// </param>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public TwoDimensionOrderStore(ShardKitDataSource dataSource, TwoDimensionOrderStoreOptions? options = null, ILoggerFactory? loggerFactory = null, AlternateKeyStore? alternateKeys = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        DataSource = dataSource;
        AlternateKeys = alternateKeys;
        _options = options ?? new TwoDimensionOrderStoreOptions();
        OptionsValidator<TwoDimensionOrderStoreOptions>.ThrowIfInvalid(_options, "options");
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TwoDimensionOrderStore>();
        Applier = new MerchantApplier(dataSource);
        Metrics = new DimensionMetrics();
        _copyGate = new InlineCopyGate(dataSource.TimeProvider);
        _marker = new OutboxMarker(dataSource, Logger);
    }

    /// <summary>The data source the store routes through.</summary>
    public ShardKitDataSource DataSource { get; }

    internal ILogger Logger { get; }

    internal MerchantApplier Applier { get; }

    internal DimensionMetrics Metrics { get; }

    /// <summary>
    /// Runs first inside every write transaction on the user shard, before anything is written: the online migration's
    /// fence check and change log (<see cref="MigratingOrderStore"/>). It may throw to refuse the write; the transaction then rolls back.
    /// </summary>
    internal Func<ShardConnection, System.Data.Common.DbTransaction, OrderId, CancellationToken, Task>? WriteFence { get; init; }

    /// <summary>
    /// Applies the built-in schema to every shard if needed (<see cref="SchemaApplier.GetBuiltInScript"/>: the order
    /// tables, and on user shards the outbox, tombstone and alternate-key tables, on merchant shards the tombstone flag),
    /// exactly as <c>shardkit schema apply</c> does. Idempotent and resumable like <see cref="SchemaApplier"/>.
    /// </summary>
    /// <param name="cancellationToken">Stops starting new shards.</param>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.SchemaFailed"/>, naming the failed shards.</exception>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        var result = await new SchemaApplier(DataSource).ApplyAsync(new SchemaApplyOptions(), progress: null, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            var failed = result.Shards.Where(s => s.Status == SchemaShardStatus.Failed).ToList();
            throw new ShardKitException(
                ShardKitErrorCode.SchemaFailed,
                $"The built-in schema could not be applied to {failed.Count} shard(s): " +
                string.Join("; ", failed.Take(5).Select(f => $"{f.Route.Name}: {f.Error}")));
        }
    }

    /// <summary>Creates an order with its items (version 1) and its merchant copy.</summary>
    /// <param name="order">The order; <see cref="OrderRecord.CreatedAt"/>, <see cref="OrderRecord.UpdatedAt"/> and <see cref="OrderRecord.Version"/> are set by the store.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The order as stored.</returns>
    /// <exception cref="ArgumentException">The order is invalid (the message says what is wrong), or its ID was used by a deleted order.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the user shard cannot be reached; nothing was written.</exception>
    public Task<OrderRecord> CreateAsync(OrderRecord order, CancellationToken cancellationToken = default)
    {
        Validate(order);
        return CreateCoreAsync(order, [], cancellationToken);
    }

    private Task<OrderRecord> CreateCoreAsync(OrderRecord order, IReadOnlyList<AlternateKey> alternateKeys, CancellationToken cancellationToken) =>
        DataSource.RetryOnMovedAsync(ct => CreateOnceAsync(order, alternateKeys, ct), retryable: true, cancellationToken);

    private async Task<OrderRecord> CreateOnceAsync(OrderRecord order, IReadOnlyList<AlternateKey> alternateKeys, CancellationToken cancellationToken)
    {
        var now = OrderReader.Now(DataSource.TimeProvider);
        CausalToken? token;
        OrderRecord stored;
        var shard = await DataSource.OpenOrderShardAsync(order.Id, ShardDimension.User, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            // The merchant connection is rented while the user side is written, and only used after the user commit.
            var copy = BeginInlineCopy(order.Id);
            try
            {
                token = await WriteNewOrderAsync(shard, order, alternateKeys, now, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                copy?.Abandon(_copyGate);
                throw;
            }

            stored = Stored(order, order.Items, now, now, 1, token);
            await ApplyAfterCommitAsync(shard, new UserSideState(stored, Deleted: false), copy, cancellationToken).ConfigureAwait(false);
        }

        return stored;
    }

    private async Task<CausalToken?> WriteNewOrderAsync(ShardConnection shard, OrderRecord order, IReadOnlyList<AlternateKey> alternateKeys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        CausalToken? token;
        {
            if (WriteFence is null && shard.Transaction is null)
            {
                token = await InsertInTextTransactionAsync(shard, order, alternateKeys, now, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var transaction = await shard.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var tx = transaction.DbTransaction;
                    await FenceAsync(shard, tx, order.Id, cancellationToken).ConfigureAwait(false);
                    ThrowIfTombstoned(order, await InsertNewOrderAsync(shard, order, alternateKeys, now, begin: false, tx, cancellationToken).ConfigureAwait(false));
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }

                token = await shard.GetCausalTokenAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return token;
    }

    /// <summary>
    /// The create in two round trips: <c>START TRANSACTION</c> sent with the tombstone check and the inserts, then
    /// <c>COMMIT</c> sent with the read of the commit's GTID (the causal token). A failure, or a refused ID, rolls back.
    /// (The store's writes run outside any <see cref="ShardTransaction"/>; with a write fence, the create takes the
    /// driver's transaction so the fence can run in it.)
    /// </summary>
    private static async Task<CausalToken?> InsertInTextTransactionAsync(ShardConnection shard, OrderRecord order, IReadOnlyList<AlternateKey> keys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = shard.Connection;
        var committed = false;
        try
        {
            ThrowIfTombstoned(order, await InsertNewOrderAsync(shard, order, keys, now, begin: true, transaction: null, cancellationToken).ConfigureAwait(false));
            var gtid = await connection.ExecuteScalarAsync<object?>(new CommandDefinition(
                "COMMIT;\n" + GtidDialect.LastCommittedGtidQuery(connection.ServerVersion), cancellationToken: cancellationToken)).ConfigureAwait(false);
            committed = true;
            return GtidDialect.ParseLastCommittedGtid(gtid) is { } value ? new CausalToken(shard.Route.Cluster.Name, value) : null;
        }
        finally
        {
            if (!committed)
            {
                await MerchantCopyWriter.RollBackAsync(connection).ConfigureAwait(false);
            }
        }
    }

    private static void ThrowIfTombstoned(OrderRecord order, long tombstoned)
    {
        if (tombstoned > 0)
        {
            throw new ArgumentException($"Order ID {order.Id} belonged to an order that was deleted; order IDs are not reused.", nameof(order));
        }
    }

    /// <summary>
    /// Replaces the status, amount, currency, extension fields and items of an order, raises its version by one and
    /// updates its merchant copy. Concurrent updates of the same order are serialised by the user shard; the last
    /// to commit wins in both dimensions.
    /// </summary>
    /// <param name="order">The new content; <see cref="OrderRecord.Id"/>, <see cref="OrderRecord.UserId"/> and <see cref="OrderRecord.MerchantId"/> name the order.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The order as stored, or <see langword="null"/> when it does not exist (or was deleted).</returns>
    /// <exception cref="ArgumentException">The order is invalid; the message says what is wrong.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the user shard cannot be reached; nothing was written.</exception>
    public Task<OrderRecord?> UpdateAsync(OrderRecord order, CancellationToken cancellationToken = default)
    {
        Validate(order);
        return DataSource.RetryOnMovedAsync(ct => UpdateOnceAsync(order, ct), retryable: true, cancellationToken);
    }

    private async Task<OrderRecord?> UpdateOnceAsync(OrderRecord order, CancellationToken cancellationToken)
    {
        var now = OrderReader.Now(DataSource.TimeProvider);
        OrderRecord stored;
        var shard = await DataSource.OpenOrderShardAsync(order.Id, ShardDimension.User, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var transaction = await shard.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var tx = transaction.DbTransaction;
                await FenceAsync(shard, tx, order.Id, cancellationToken).ConfigureAwait(false);
                var changed = await shard.Connection.ExecuteAsync(new CommandDefinition(shard.Sql(UpdateOrder), Parameters(order, now.UtcDateTime), tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (changed == 0)
                {
                    return null;
                }

                var rows = await OrderReader.QueryOrdersAsync(shard, shard.Sql(LockOrder), new { OrderId = order.Id.Value }, tx, cancellationToken).ConfigureAwait(false);
                var current = rows[0];
                await shard.Connection.ExecuteAsync(new CommandDefinition(shard.Sql(DeleteItems), new { OrderId = order.Id.Value }, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await OrderReader.InsertItemsAsync(shard, order.Id.Value, order.Items, tx, cancellationToken).ConfigureAwait(false);
                await AddOutboxEntryAsync(shard, order.Id, current.Version, "update", now, tx, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                stored = Stored(order, order.Items, current.CreatedAt, now, current.Version, await shard.GetCausalTokenAsync(cancellationToken).ConfigureAwait(false));
            }

            await ApplyAfterCommitAsync(shard, new UserSideState(stored, Deleted: false), BeginInlineCopy(order.Id), cancellationToken).ConfigureAwait(false);
        }

        return stored;
    }

    /// <summary>
    /// Deletes an order and its items from its user shard, leaving a tombstone (the next version) there and in the
    /// merchant copy, so an older copy can never bring the order back. The alternate keys the order was created with
    /// are released after the commit (best effort: a key left behind is dangling and the sweeper removes it).
    /// </summary>
    /// <param name="orderId">The order to delete.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns><see langword="true"/> if the order existed and was deleted.</returns>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidOrderId"/>: the ID names a shard the map does not have;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/>: the user shard cannot be reached; nothing was written.
    /// </exception>
    public Task<bool> DeleteAsync(OrderId orderId, CancellationToken cancellationToken = default) =>
        DataSource.RetryOnMovedAsync(ct => DeleteOnceAsync(orderId, ct), retryable: true, cancellationToken);

    private async Task<bool> DeleteOnceAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        var now = OrderReader.Now(DataSource.TimeProvider);
        List<AlternateKey> keys;
        AlternateKeyTarget target;
        UserSideState tombstone;
        var shard = await DataSource.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var transaction = await shard.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var tx = transaction.DbTransaction;
                await FenceAsync(shard, tx, orderId, cancellationToken).ConfigureAwait(false);
                var id = new { OrderId = orderId.Value };
                var rows = await OrderReader.QueryOrdersAsync(shard, shard.Sql(LockOrder), id, tx, cancellationToken).ConfigureAwait(false);
                if (rows.Count == 0)
                {
                    return false;
                }

                var current = rows[0];
                var version = current.Version + 1;
                keys = await TakeOrderKeysAsync(shard, orderId, tx, cancellationToken).ConfigureAwait(false);
                target = new AlternateKeyTarget(current.UserId, orderId);
                await shard.Connection.ExecuteAsync(new CommandDefinition(shard.Sql(DeleteItems), id, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await shard.Connection.ExecuteAsync(new CommandDefinition(shard.Sql(DeleteOrder), id, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await Tombstones.UpsertAsync(
                    shard.Connection, tx, shard.Sql,
                    [new Tombstone(orderId.Value, current.UserId, current.MerchantId, current.CreatedAt.UtcDateTime, now.UtcDateTime, version)],
                    cancellationToken).ConfigureAwait(false);
                await AddOutboxEntryAsync(shard, orderId, version, "delete", now, tx, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                tombstone = MerchantApplier.TombstoneOf(current, now, version);
            }

            await ApplyAfterCommitAsync(shard, tombstone, BeginInlineCopy(orderId), cancellationToken).ConfigureAwait(false);
        }

        await ReleaseKeysAsync(keys, target, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Reads an order with its items from its user shard (the authoritative copy), on the shard's primary.</summary>
    /// <param name="orderId">The order.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The order, or <see langword="null"/> when it does not exist.</returns>
    public Task<OrderRecord?> GetAsync(OrderId orderId, CancellationToken cancellationToken = default) =>
        ReadOneAsync(orderId, ShardDimension.User, read: null, cancellationToken);

    /// <summary>
    /// Reads an order with its items from its user shard where <paramref name="read"/> allows: a replica within its lag
    /// limit, and with a causal token (<see cref="OrderRecord.CausalToken"/> of the write, or a
    /// <see cref="ShardKitDataSource.ReadYourWrites"/> scope) only one that has applied that write.
    /// </summary>
    /// <param name="orderId">The order.</param>
    /// <param name="read">Which servers may serve the read, the causal token and the lag limit.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The order, or <see langword="null"/> when it does not exist (or, without a token, is not on the serving replica yet).</returns>
    public Task<OrderRecord?> GetAsync(OrderId orderId, ReadOptions read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        return ReadOneAsync(orderId, ShardDimension.User, read, cancellationToken);
    }

    /// <summary>Releases the store's metric instruments.</summary>
    public void Dispose()
    {
        _marker.Dispose();
        Metrics.Dispose();
    }

    /// <summary>Waits until the outbox marks of inline copies queued so far are written (tests and tools).</summary>
    internal Task FlushOutboxMarksAsync(CancellationToken cancellationToken = default) => _marker.FlushAsync(cancellationToken);

    private async Task<OrderRecord?> ReadOneAsync(OrderId orderId, ShardDimension dimension, ReadOptions? read, CancellationToken cancellationToken)
    {
        var shard = read is null
            ? await DataSource.OpenOrderShardAsync(orderId, dimension, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await DataSource.OpenAsync(DataSource.Map.RouteOrder(orderId, dimension), read, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var sql = dimension == ShardDimension.User
                ? shard.Sql("SELECT " + OrderReader.Columns + " FROM {orders} WHERE order_id = @OrderId")
                : shard.Sql("SELECT " + OrderReader.Columns + " FROM {orders} WHERE order_id = @OrderId AND deleted = 0");
            var rows = await OrderReader.QueryOrdersAsync(shard, sql, new { OrderId = orderId.Value }, null, cancellationToken).ConfigureAwait(false);
            rows = await OrderReader.WithItemsAsync(shard, rows, null, cancellationToken).ConfigureAwait(false);
            return rows.Count == 0 ? null : rows[0];
        }
    }

    /// <summary>
    /// Applies the merchant copy of the state this write has just committed and still holds (no re-read: the version
    /// guard orders copies), then marks the outbox. Best effort: the user write is committed and is the truth; whatever
    /// fails leaves the outbox entry to the relay. The write waits for the copy at most
    /// <see cref="TwoDimensionOrderStoreOptions.MerchantCopyTimeout"/>: past it the caller goes on (the copy finishes or
    /// fails on its own, bounded by the command timeout, and the relay applies the entry either way), so a merchant server
    /// that hangs instead of refusing costs a write that budget once, not a connect or command timeout each time. When the
    /// merchant cluster failed recently (<see cref="InlineCopyGate"/>), the copy is left to the relay at once.
    /// </summary>
    private async Task ApplyAfterCommitAsync(ShardConnection userShard, UserSideState state, InlineCopy? inline, CancellationToken cancellationToken)
    {
        if (inline is null)
        {
            return;
        }

        var orderId = state.Order.Id;
        var cluster = inline.Cluster;
        var copy = CopyAsync(inline, state);
        if (!copy.IsCompleted)
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var budgetElapsed = Task.Delay(_options.MerchantCopyTimeout, DataSource.TimeProvider, budget.Token);
            if (await Task.WhenAny(copy, budgetElapsed).ConfigureAwait(false) != copy)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _copyGate.OnFailure(cluster);
                OutboxLog.MerchantApplyFailed(Logger, new TimeoutException($"The merchant copy did not finish within {_options.MerchantCopyTimeout.TotalMilliseconds:0} ms; it is left to the relay."), orderId.Value);
                return;
            }

            await budget.CancelAsync().ConfigureAwait(false);
        }

        if (await copy.ConfigureAwait(false) is { } error)
        {
            OutboxLog.MerchantApplyFailed(Logger, error, orderId.Value);
            return;
        }

        try
        {
            await Applier.AfterMerchantWriteAsync(orderId).ConfigureAwait(false);

            // Off the caller's path: the copy is committed, and a lost mark only makes the relay apply it again (a no-op).
            _marker.Enqueue(userShard.Route, orderId, state.Version);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The copy is written; the entry stays pending and the relay's apply of it is a no-op.
            OutboxLog.MerchantApplyFailed(Logger, ex, orderId.Value);
        }
    }

    /// <summary>
    /// Starts renting the merchant connection of an inline copy, unless copies are left to the relay (by option, or because
    /// the merchant cluster failed recently: <see cref="InlineCopyGate"/>); <see langword="null"/> then.
    /// </summary>
    private InlineCopy? BeginInlineCopy(OrderId orderId)
    {
        if (!_options.ApplyMerchantCopyImmediately)
        {
            return null;
        }

        var route = DataSource.Map.RouteOrder(orderId, ShardDimension.Merchant);
        var cluster = route.Cluster.Name;
        return _copyGate.TryEnter(cluster) ? new InlineCopy(cluster, OpenMerchantAsync(route)) : null;
    }

    private Task<ShardConnection> OpenMerchantAsync(ShardRoute route)
    {
        try
        {
            return DataSource.OpenAsync(route, ShardIntent.Write, CancellationToken.None).AsTask();
        }
        catch (Exception ex) when (ex is ShardKitException or InvalidOperationException)
        {
            // Refused before any I/O (for example an ambient transaction on another shard): the copy is left to the relay.
            return Task.FromException<ShardConnection>(ex);
        }
    }

    /// <summary>Writes one merchant copy on its own (no caller token: it may outlive the write that started it); returns the failure, never throws.</summary>
    private async Task<Exception?> CopyAsync(InlineCopy inline, UserSideState state)
    {
        try
        {
            var merchantShard = await inline.Open.ConfigureAwait(false);
            await using (merchantShard.ConfigureAwait(false))
            {
                await Applier.WriteCopiesAsync(merchantShard, [state], CancellationToken.None).ConfigureAwait(false);
            }

            _copyGate.OnSuccess(inline.Cluster);
            return null;
        }
        catch (Exception ex)
        {
            // Unreachable, refused by its breaker or overloaded: leave this cluster's copies to the relay for a while. Any
            // other failure (a statement the server refused) is this order's alone.
            if (ex is ShardKitException or TimeoutException || (ex is System.Data.Common.DbException && ShardKitErrors.IsTransient(ex)))
            {
                _copyGate.OnFailure(inline.Cluster);
            }
            else
            {
                _copyGate.OnAbandoned(inline.Cluster);
            }

            return ex;
        }
    }

    /// <summary>
    /// The create's writes on the user shard as one multi-statement round trip: the tombstone check (an ID of a deleted
    /// order is refused; the transaction is then rolled back, so the inserts that ran with it are undone), the order, its
    /// items (one multi-row insert), its alternate-key records and its outbox entry; <paramref name="begin"/> sends
    /// <c>START TRANSACTION</c> first. Returns the tombstone count (above zero: the caller must refuse the ID and roll back).
    /// </summary>
    private static async Task<long> InsertNewOrderAsync(ShardConnection shard, OrderRecord order, IReadOnlyList<AlternateKey> keys, DateTimeOffset now, bool begin, System.Data.Common.DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("OrderId", order.Id.Value);
        parameters.Add("UserId", order.UserId);
        parameters.Add("MerchantId", order.MerchantId);
        parameters.Add("Status", order.Status);
        parameters.Add("TotalAmount", order.TotalAmount);
        parameters.Add("Currency", order.Currency);
        parameters.Add("Ext", order.Ext);
        parameters.Add("Now", now.UtcDateTime);
        parameters.Add("Version", 1L);
        parameters.Add("Op", "create");
        var sql = new StringBuilder(begin ? "START TRANSACTION;\n" : "").Append(shard.Sql(IsTombstoned + ";\n" + InsertOrder + ";\n" + InsertOutbox));
        if (order.Items.Count > 0)
        {
            sql.Append(";\n").Append(shard.Sql("INSERT INTO {order_items} (order_id, line_no, sku, quantity, unit_price) VALUES "));
            for (var i = 0; i < order.Items.Count; i++)
            {
                var n = i.ToString(CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@OrderId, @L{n}, @S{n}, @Q{n}, @P{n})");
                parameters.Add("L" + n, order.Items[i].LineNo);
                parameters.Add("S" + n, order.Items[i].Sku);
                parameters.Add("Q" + n, order.Items[i].Quantity);
                parameters.Add("P" + n, order.Items[i].UnitPrice);
            }
        }

        if (keys.Count > 0)
        {
            sql.Append(";\n").Append(shard.Sql(MappingSql.InsertOrderKeysPrefix));
            for (var i = 0; i < keys.Count; i++)
            {
                var n = i.ToString(CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@OrderId, @Kind{n}, @Value{n})");
                parameters.Add("Kind" + n, keys[i].Kind);
                parameters.Add("Value" + n, keys[i].Value);
            }
        }

        long tombstoned;
        var reader = await shard.Connection.ExecuteReaderAsync(new CommandDefinition(sql.ToString(), parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            tombstoned = reader.GetInt64(0);

            // The inserts' outcomes (a duplicate order ID, a key recorded twice) surface here.
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }

        return tombstoned;
    }

    private Task FenceAsync(ShardConnection shard, System.Data.Common.DbTransaction transaction, OrderId orderId, CancellationToken cancellationToken) =>
        WriteFence is { } fence ? fence(shard, transaction, orderId, cancellationToken) : Task.CompletedTask;

    private static Task AddOutboxEntryAsync(ShardConnection shard, OrderId orderId, long version, string op, DateTimeOffset now, System.Data.Common.DbTransaction transaction, CancellationToken cancellationToken) =>
        shard.Connection.ExecuteAsync(new CommandDefinition(
            shard.Sql(InsertOutbox), new { OrderId = orderId.Value, Version = version, Op = op, Now = now.UtcDateTime }, transaction, cancellationToken: cancellationToken));

    private static object Parameters(OrderRecord order, DateTime now) => new
    {
        OrderId = order.Id.Value,
        order.UserId,
        order.MerchantId,
        order.Status,
        order.TotalAmount,
        order.Currency,
        order.Ext,
        Now = now,
    };

    private static OrderRecord Stored(OrderRecord order, IReadOnlyList<OrderLine> items, DateTimeOffset createdAt, DateTimeOffset updatedAt, long version, CausalToken? causalToken) =>
        order.WithStoredState(items.ToArray(), createdAt, updatedAt, version, causalToken);

    private void Validate(OrderRecord order)
    {
        ArgumentNullException.ThrowIfNull(order);
        OrderValidation.Validate(order, DataSource.Map);
    }
}

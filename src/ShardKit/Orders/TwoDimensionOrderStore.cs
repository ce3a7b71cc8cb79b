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
    /// <exception cref="InvalidOperationException">The data source declares its own tables; use <see cref="CreateAsync(OrderRow, CancellationToken)"/>.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the user shard cannot be reached; nothing was written.</exception>
    public Task<OrderRecord> CreateAsync(OrderRecord order, CancellationToken cancellationToken = default)
    {
        Validate(order);
        return CreateRecordAsync(order, [], cancellationToken);
    }

    /// <summary>
    /// Creates an order of the declared tables (version 1): its root row and the child rows it names, and its merchant copy
    /// (what the model keeps of each table).
    /// </summary>
    /// <param name="order">The order: the root's columns (its key columns included) and the child tables' rows.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The order as written, with its version and causal token.</returns>
    /// <exception cref="ArgumentException">
    /// An unknown table or column, a value for a generated column, bad keys, or an ID that was used by a deleted order; the
    /// message names it. Nothing was written.
    /// </exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the user shard cannot be reached; nothing was written.</exception>
    public Task<OrderRow> CreateAsync(OrderRow order, CancellationToken cancellationToken = default)
    {
        return CreateRowAsync(order, RowBinder.Keys(order, DataSource.Map.Tables, DataSource.Map), [], cancellationToken);
    }

    private async Task<OrderRow> CreateRowAsync(OrderRow order, (OrderId Id, long UserId, long MerchantId) keys, IReadOnlyList<AlternateKey> alternateKeys, CancellationToken cancellationToken)
    {
        var (state, token) = await DataSource.RetryOnMovedAsync(
            async ct =>
            {
                var shard = await DataSource.OpenOrderShardAsync(keys.Id, ShardDimension.User, ShardIntent.Write, ct).ConfigureAwait(false);
                await using (shard.ConfigureAwait(false))
                {
                    var bound = await BindAsync(shard, order, keys, ct).ConfigureAwait(false);
                    return await CreateOnShardAsync(shard, bound.Id, bound.UserId, bound.MerchantId, bound.Root, bound.Children, alternateKeys, ct).ConfigureAwait(false);
                }
            },
            retryable: true,
            cancellationToken).ConfigureAwait(false);
        return ToRow(state, token);
    }

    private Task<OrderRecord> CreateRecordAsync(OrderRecord order, IReadOnlyList<AlternateKey> alternateKeys, CancellationToken cancellationToken)
    {
        RequireBuiltIn();
        return DataSource.RetryOnMovedAsync(
            async ct =>
            {
                var now = OrderReader.Now(DataSource.TimeProvider);
                var (root, children) = BuiltInRows.Of(order.WithStoredState(order.Items, now, now, 1));
                var shard = await DataSource.OpenOrderShardAsync(order.Id, ShardDimension.User, ShardIntent.Write, ct).ConfigureAwait(false);
                await using (shard.ConfigureAwait(false))
                {
                    var (_, token) = await CreateOnShardAsync(shard, order.Id, order.UserId, order.MerchantId, root, [.. children], alternateKeys, ct).ConfigureAwait(false);
                    return order.WithStoredState(order.Items.ToArray(), now, now, 1, token);
                }
            },
            retryable: true,
            cancellationToken);
    }

    /// <summary>
    /// The create on the order's user shard: the rows (version 1), the outbox entry and the alternate-key records in one
    /// transaction, then the inline merchant copy of what it has just written.
    /// </summary>
    private async Task<(UserSideState State, CausalToken? Token)> CreateOnShardAsync(
        ShardConnection shard, OrderId id, long userId, long merchantId, TableRows root, List<TableRows> children, IReadOnlyList<AlternateKey> alternateKeys, CancellationToken cancellationToken)
    {
        var model = DataSource.Map.Tables;
        root = WithVersion(root, model.Root, 1);
        foreach (var table in model.Children)
        {
            if (!Names(children, table))
            {
                children.Add(new TableRows(table, [table.OrderIdColumn], []));
            }
        }

        var state = new UserSideState(id, userId, merchantId, 1, root, children);

        // The merchant connection is rented while the user side is written, and only used after the user commit.
        var copy = BeginInlineCopy(id);
        CausalToken? token;
        try
        {
            token = await WriteNewOrderAsync(shard, state, alternateKeys, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            copy?.Abandon(_copyGate);
            throw;
        }

        await ApplyAfterCommitAsync(shard, state, copy, cancellationToken).ConfigureAwait(false);
        return (state, token);
    }

    private async Task<CausalToken?> WriteNewOrderAsync(ShardConnection shard, UserSideState order, IReadOnlyList<AlternateKey> alternateKeys, CancellationToken cancellationToken)
    {
        var now = OrderReader.Now(DataSource.TimeProvider);
        if (shard.Transaction is null)
        {
            return await InsertInTextTransactionAsync(shard, order, alternateKeys, now, cancellationToken).ConfigureAwait(false);
        }

        var transaction = await shard.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            ThrowIfTombstoned(order.Id, await InsertNewOrderAsync(shard, order, alternateKeys, now, begin: false, transaction.DbTransaction, cancellationToken).ConfigureAwait(false));
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return await shard.GetCausalTokenAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The create in two round trips: <c>START TRANSACTION</c> sent with the tombstone check and the inserts, then
    /// <c>COMMIT</c> sent with the read of the commit's GTID (the causal token). A failure, or a refused ID, rolls back.
    /// (The store's writes run outside any <see cref="ShardTransaction"/>; with a write fence, the create takes the
    /// driver's transaction so the fence can run in it.)
    /// </summary>
    private static async Task<CausalToken?> InsertInTextTransactionAsync(ShardConnection shard, UserSideState order, IReadOnlyList<AlternateKey> keys, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = shard.Connection;
        var committed = false;
        try
        {
            ThrowIfTombstoned(order.Id, await InsertNewOrderAsync(shard, order, keys, now, begin: true, transaction: null, cancellationToken).ConfigureAwait(false));
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

    private static void ThrowIfTombstoned(OrderId orderId, long tombstoned)
    {
        if (tombstoned > 0)
        {
            throw new ArgumentException($"Order ID {orderId} belonged to an order that was deleted; order IDs are not reused.");
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
    /// <exception cref="InvalidOperationException">The data source declares its own tables; use <see cref="UpdateAsync(OrderRow, CancellationToken)"/>.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the user shard cannot be reached; nothing was written.</exception>
    public async Task<OrderRecord?> UpdateAsync(OrderRecord order, CancellationToken cancellationToken = default)
    {
        Validate(order);
        RequireBuiltIn();
        var now = OrderReader.Now(DataSource.TimeProvider);
        var root = new TableRows(
            TableModel.BuiltIn.Root,
            ["status", "total_amount", "currency", "ext", "updated_at"],
            [[order.Status, order.TotalAmount, order.Currency, order.Ext, now.UtcDateTime]]);
        var result = await UpdateCoreAsync(
            order.Id, order.UserId, order.MerchantId, (_, _) => ValueTask.FromResult((root, new List<TableRows> { BuiltInRows.ItemsOf(order) })), cancellationToken).ConfigureAwait(false);
        return result is { } stored ? BuiltInRows.ToRecord(stored.State.Root!, stored.State.Children, stored.Token) : null;
    }

    /// <summary>
    /// Updates an order of the declared tables: sets the root columns it names, replaces the rows of the child tables it
    /// names (a child table it leaves out keeps its rows), raises the version by one and updates the merchant copy.
    /// Concurrent updates of the same order are serialised by the user shard; the last to commit wins in both dimensions.
    /// </summary>
    /// <param name="order">The new content; its key columns name the order.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The whole order as stored, or <see langword="null"/> when it does not exist (or was deleted).</returns>
    /// <exception cref="ArgumentException">An unknown table or column, a value for a generated column, or bad keys; nothing was written.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the user shard cannot be reached; nothing was written.</exception>
    public async Task<OrderRow?> UpdateAsync(OrderRow order, CancellationToken cancellationToken = default)
    {
        var keys = RowBinder.Keys(order, DataSource.Map.Tables, DataSource.Map);
        var result = await UpdateCoreAsync(
            keys.Id, keys.UserId, keys.MerchantId,
            async (shard, ct) =>
            {
                var bound = await BindAsync(shard, order, keys, ct).ConfigureAwait(false);
                return (bound.Root, bound.Children);
            },
            cancellationToken).ConfigureAwait(false);
        return result is { } stored ? ToRow(stored.State, stored.Token) : null;
    }

    /// <summary>The update, retried once if the shard moved; <paramref name="content"/> gives what to write, on the connection the update uses.</summary>
    private Task<(UserSideState State, CausalToken? Token)?> UpdateCoreAsync(
        OrderId id, long userId, long merchantId, Func<ShardConnection, CancellationToken, ValueTask<(TableRows Set, List<TableRows> Children)>> content, CancellationToken cancellationToken) =>
        DataSource.RetryOnMovedAsync(ct => UpdateOnceAsync(id, userId, merchantId, content, ct), retryable: true, cancellationToken);

    private async Task<(UserSideState State, CausalToken? Token)?> UpdateOnceAsync(
        OrderId id, long userId, long merchantId, Func<ShardConnection, CancellationToken, ValueTask<(TableRows Set, List<TableRows> Children)>> content, CancellationToken cancellationToken)
    {
        var model = DataSource.Map.Tables;
        var root = model.Root;
        UserSideState state;
        CausalToken? token;
        var shard = await DataSource.OpenOrderShardAsync(id, ShardDimension.User, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var (set, children) = await content(shard, cancellationToken).ConfigureAwait(false);
            var transaction = await shard.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var tx = transaction.DbTransaction;
                var parameters = new DynamicParameters();
                parameters.Add("OrderId", id.Value);
                parameters.Add("UserId", userId);
                parameters.Add("MerchantId", merchantId);
                var sql = new StringBuilder("UPDATE ").Append(shard.Sql(root.Placeholder)).Append(" SET ");
                var row = set.Rows[0];
                for (var i = 0; i < set.Columns.Length; i++)
                {
                    var column = set.Columns[i];
                    if (column.Equals(root.OrderIdColumn, StringComparison.OrdinalIgnoreCase) || column.Equals(root.UserIdColumn, StringComparison.OrdinalIgnoreCase)
                        || column.Equals(root.MerchantIdColumn, StringComparison.OrdinalIgnoreCase))
                    {
                        continue;
                    }

                    sql.Append('`').Append(column).Append("` = @S").Append(i.ToString(CultureInfo.InvariantCulture)).Append(", ");
                    parameters.Add("S" + i.ToString(CultureInfo.InvariantCulture), row[i]);
                }

                sql.Append(CultureInfo.InvariantCulture, $"`{root.VersionColumn}` = `{root.VersionColumn}` + 1 WHERE `{root.OrderIdColumn}` = @OrderId AND `{root.UserIdColumn}` = @UserId AND `{root.MerchantIdColumn}` = @MerchantId");
                var changed = await shard.Connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (changed == 0)
                {
                    return null;
                }

                if (children.Count > 0)
                {
                    var replace = new StringBuilder();
                    var rows = new DynamicParameters();
                    rows.Add("OrderId", id.Value);
                    foreach (var child in children)
                    {
                        replace.Append("DELETE FROM ").Append(shard.Sql(child.Table.Placeholder)).Append(" WHERE `").Append(child.Table.OrderIdColumn).Append("` = @OrderId;\n");
                        AppendInsert(replace, rows, shard, child, "C" + child.Table.Name);
                    }

                    await shard.Connection.ExecuteAsync(new CommandDefinition(replace.ToString(), rows, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }

                // The whole order as it now stands in this transaction (the root row is locked by the update): what the copy writes.
                state = (await UserSideReader.ReadOrdersAsync(shard, model, ReadRoot(shard), new { OrderId = id.Value }, tx, cancellationToken).ConfigureAwait(false))[0];
                await AddOutboxEntryAsync(shard, id, state.Version, "update", OrderReader.Now(DataSource.TimeProvider), tx, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                token = await shard.GetCausalTokenAsync(cancellationToken).ConfigureAwait(false);
            }

            await ApplyAfterCommitAsync(shard, state, BeginInlineCopy(id), cancellationToken).ConfigureAwait(false);
        }

        return (state, token);
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
                var model = DataSource.Map.Tables;
                var root = model.Root;
                var id = new { OrderId = orderId.Value };
                var current = (await shard.Connection.QueryAsync(new CommandDefinition(
                    shard.Sql($"SELECT * FROM {root.Placeholder} WHERE `{root.OrderIdColumn}` = @OrderId FOR UPDATE"), id, tx, cancellationToken: cancellationToken)).ConfigureAwait(false))
                    .Cast<IDictionary<string, object?>>().FirstOrDefault();
                if (current is null)
                {
                    return false;
                }

                var values = new Dictionary<string, object?>(current, StringComparer.OrdinalIgnoreCase);
                var userId = Convert.ToInt64(values[root.UserIdColumn!], CultureInfo.InvariantCulture);
                var merchantId = Convert.ToInt64(values[root.MerchantIdColumn!], CultureInfo.InvariantCulture);
                var version = Convert.ToInt64(values[root.VersionColumn!], CultureInfo.InvariantCulture) + 1;
                var createdAt = values.GetValueOrDefault("created_at") as DateTime? ?? now.UtcDateTime;
                keys = await TakeOrderKeysAsync(shard, orderId, tx, cancellationToken).ConfigureAwait(false);
                target = new AlternateKeyTarget(userId, orderId);
                var delete = new StringBuilder();
                foreach (var table in model.Tables.Reverse())
                {
                    delete.Append("DELETE FROM ").Append(shard.Sql(table.Placeholder)).Append(" WHERE `").Append(table.OrderIdColumn).Append("` = @OrderId;\n");
                }

                await shard.Connection.ExecuteAsync(new CommandDefinition(delete.ToString(), id, tx, cancellationToken: cancellationToken)).ConfigureAwait(false);
                var dead = new Tombstone(orderId.Value, userId, merchantId, createdAt, now.UtcDateTime, version);
                await Tombstones.UpsertAsync(shard.Connection, tx, shard.Sql, [dead], cancellationToken).ConfigureAwait(false);
                await AddOutboxEntryAsync(shard, orderId, version, "delete", now, tx, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                tombstone = new UserSideState(dead);
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
        RequireBuiltIn();
        return await ReadStateAsync(orderId, dimension, read, cancellationToken).ConfigureAwait(false) is { } state
            ? BuiltInRows.ToRecord(state.Root!, state.Children, causalToken: null)
            : null;
    }

    /// <summary>
    /// Reads an order of the declared tables from its user shard (the authoritative copy): every column of its root row and
    /// the rows of every child table, on the primary or where <paramref name="read"/> allows.
    /// </summary>
    /// <param name="orderId">The order.</param>
    /// <param name="read">Which servers may serve the read; <see langword="null"/> reads the primary.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The order, or <see langword="null"/> when it does not exist.</returns>
    public async Task<OrderRow?> GetRowAsync(OrderId orderId, ReadOptions? read = null, CancellationToken cancellationToken = default) =>
        await ReadStateAsync(orderId, ShardDimension.User, read, cancellationToken).ConfigureAwait(false) is { } state ? ToRow(state, null) : null;

    /// <summary>Reads an order's merchant copy: what the model keeps of each table, from its merchant shard (routed by the ID's merchant gene).</summary>
    /// <param name="orderId">The order.</param>
    /// <param name="read">Which servers may serve the read; <see langword="null"/> reads the primary.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The merchant copy, or <see langword="null"/> when it is not there (or the order was deleted).</returns>
    public async Task<OrderRow?> GetMerchantRowAsync(OrderId orderId, ReadOptions? read = null, CancellationToken cancellationToken = default) =>
        await ReadStateAsync(orderId, ShardDimension.Merchant, read, cancellationToken).ConfigureAwait(false) is { } state ? ToRow(state, null) : null;

    /// <summary>
    /// Reads an order's root row from its user shard as <typeparamref name="T"/>, mapped by Dapper (columns to properties of the
    /// same name; set <c>Dapper.DefaultTypeMap.MatchNamesWithUnderscores</c> to map <c>trade_no</c> to <c>TradeNo</c>).
    /// </summary>
    /// <typeparam name="T">The row type, for example a <c>TradeOrder</c> POCO.</typeparam>
    /// <param name="orderId">The order.</param>
    /// <param name="read">Which servers may serve the read; <see langword="null"/> reads the primary.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The row, or <see langword="null"/> when the order does not exist.</returns>
    public async Task<T?> GetAsync<T>(OrderId orderId, ReadOptions? read = null, CancellationToken cancellationToken = default)
    {
        var shard = await OpenForReadAsync(orderId, ShardDimension.User, read, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            return await shard.Connection.QueryFirstOrDefaultAsync<T>(new CommandDefinition(
                ReadRoot(shard), new { OrderId = orderId.Value }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Reads an order's rows of child table <paramref name="table"/> from its user shard as <typeparamref name="T"/>, mapped by Dapper.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="orderId">The order.</param>
    /// <param name="table">A declared child table.</param>
    /// <param name="read">Which servers may serve the read; <see langword="null"/> reads the primary.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The rows (empty when there are none).</returns>
    /// <exception cref="ArgumentException"><paramref name="table"/> is not a declared child table.</exception>
    public async Task<IReadOnlyList<T>> GetChildRowsAsync<T>(OrderId orderId, string table, ReadOptions? read = null, CancellationToken cancellationToken = default)
    {
        var model = DataSource.Map.Tables;
        var child = model.Find(table ?? "") is { Role: TableRole.Child } found
            ? found
            : throw new ArgumentException($"Unknown child table '{table}': the declared child tables are {(model.Children.Count == 0 ? "none" : string.Join(", ", model.Children.Select(c => c.Name)))}.", nameof(table));
        var shard = await OpenForReadAsync(orderId, ShardDimension.User, read, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var rows = await shard.Connection.QueryAsync<T>(new CommandDefinition(
                shard.Sql($"SELECT * FROM {child.Placeholder} WHERE `{child.OrderIdColumn}` = @OrderId"), new { OrderId = orderId.Value }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.ToList();
        }
    }

    private async Task<UserSideState?> ReadStateAsync(OrderId orderId, ShardDimension dimension, ReadOptions? read, CancellationToken cancellationToken)
    {
        var shard = await OpenForReadAsync(orderId, dimension, read, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var states = await UserSideReader.ReadOrdersAsync(shard, DataSource.Map.Tables, ReadRoot(shard), new { OrderId = orderId.Value }, null, cancellationToken).ConfigureAwait(false);
            return states.Count == 0 ? null : states[0];
        }
    }

    private async ValueTask<ShardConnection> OpenForReadAsync(OrderId orderId, ShardDimension dimension, ReadOptions? read, CancellationToken cancellationToken) =>
        read is null
            ? await DataSource.OpenOrderShardAsync(orderId, dimension, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await DataSource.OpenAsync(DataSource.Map.RouteOrder(orderId, dimension), read, cancellationToken).ConfigureAwait(false);

    /// <summary>The root row of <c>@OrderId</c>, every column.</summary>
    private string ReadRoot(ShardConnection shard)
    {
        var root = DataSource.Map.Tables.Root;
        return shard.Sql($"SELECT * FROM {root.Placeholder} WHERE `{root.OrderIdColumn}` = @OrderId");
    }

    /// <summary>Binds an order's values to the declared tables as the shard describes them.</summary>
    private async Task<RowBinder.Bound> BindAsync(ShardConnection shard, OrderRow order, (OrderId Id, long UserId, long MerchantId) keys, CancellationToken cancellationToken)
    {
        var model = DataSource.Map.Tables;
        var shapes = new Dictionary<DeclaredTable, TableShape>();
        shapes[model.Root] = await DataSource.Shapes.GetAsync(shard, model.Root, order.Values.Keys, cancellationToken).ConfigureAwait(false);
        foreach (var (name, rows) in order.Children)
        {
            if (model.Find(name) is { Role: TableRole.Child } child)
            {
                shapes[child] = await DataSource.Shapes.GetAsync(shard, child, rows?.SelectMany(r => r?.Keys ?? []).Distinct(), cancellationToken).ConfigureAwait(false);
            }
        }

        return RowBinder.Bind(order, keys, model, table => shapes[table]);
    }

    private static OrderRow ToRow(UserSideState state, CausalToken? token)
    {
        var children = new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>(StringComparer.OrdinalIgnoreCase);
        foreach (var table in state.Children)
        {
            children[table.Table.Name] = table.ToDictionaries();
        }

        return new OrderRow(state.Root!.ToDictionary(state.Root.Rows[0]), children) { Version = state.Version, CausalToken = token };
    }

    private static bool Names(List<TableRows> children, DeclaredTable table)
    {
        foreach (var child in children)
        {
            if (ReferenceEquals(child.Table, table) || child.Table.Name.Equals(table.Name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The root row with its version column set to <paramref name="version"/>.</summary>
    private static TableRows WithVersion(TableRows root, DeclaredTable table, long version)
    {
        var at = root.IndexOf(table.VersionColumn!);
        if (at >= 0)
        {
            var copy = (object?[])root.Rows[0].Clone();
            copy[at] = version;
            return new TableRows(table, root.Columns, [copy]);
        }

        return new TableRows(table, [.. root.Columns, table.VersionColumn!], [[.. root.Rows[0], version]]);
    }

    /// <summary>The typed <see cref="OrderRecord"/> API stores ShardKit's built-in tables.</summary>
    private void RequireBuiltIn()
    {
        if (DataSource.Map.Tables.IsDeclared)
        {
            throw new InvalidOperationException(
                $"The typed OrderRecord API stores ShardKit's built-in order tables, but this data source declares its own ({string.Join(", ", DataSource.Map.Tables.Tables.Select(t => t.Name))}): " +
                "write and read them with OrderRow (CreateAsync(OrderRow), UpdateAsync(OrderRow), GetRowAsync) or POCOs (OrderRow.FromObject, GetAsync<T>).");
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

        var orderId = state.Id;
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
    /// order is refused; the transaction is then rolled back, so the inserts that ran with it are undone), the root row, its
    /// outbox entry, the child rows (one multi-row insert per table) and its alternate-key records; <paramref name="begin"/>
    /// sends <c>START TRANSACTION</c> first. Returns the tombstone count (above zero: the caller must refuse the ID and roll back).
    /// </summary>
    private static async Task<long> InsertNewOrderAsync(ShardConnection shard, UserSideState order, IReadOnlyList<AlternateKey> keys, DateTimeOffset now, bool begin, System.Data.Common.DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("OrderId", order.Id.Value);
        parameters.Add("Now", now.UtcDateTime);
        parameters.Add("Version", 1L);
        parameters.Add("Op", "create");
        var sql = new StringBuilder(begin ? "START TRANSACTION;\n" : "").Append(shard.Sql(IsTombstoned)).Append(";\n");
        AppendInsert(sql, parameters, shard, order.Root!, "R");
        sql.Append(shard.Sql(InsertOutbox)).Append(";\n");
        for (var t = 0; t < order.Children.Count; t++)
        {
            AppendInsert(sql, parameters, shard, order.Children[t], "C" + t.ToString(CultureInfo.InvariantCulture) + "_");
        }

        if (keys.Count > 0)
        {
            sql.Append(shard.Sql(MappingSql.InsertOrderKeysPrefix));
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

    /// <summary>Appends one multi-row <c>INSERT</c> of <paramref name="rows"/> as a statement (nothing when there are no rows), its values named <c>@{prefix}{row}_{column}</c>.</summary>
    private static void AppendInsert(StringBuilder sql, DynamicParameters parameters, ShardConnection shard, TableRows rows, string prefix)
    {
        if (rows.Rows.Count == 0)
        {
            return;
        }

        sql.Append("INSERT INTO ").Append(shard.Sql(rows.Table.Placeholder)).Append(" (");
        for (var j = 0; j < rows.Columns.Length; j++)
        {
            sql.Append(j == 0 ? "`" : ", `").Append(rows.Columns[j]).Append('`');
        }

        sql.Append(") VALUES ");
        for (var i = 0; i < rows.Rows.Count; i++)
        {
            sql.Append(i == 0 ? "(" : ", (");
            for (var j = 0; j < rows.Columns.Length; j++)
            {
                var name = prefix + i.ToString(CultureInfo.InvariantCulture) + "_" + j.ToString(CultureInfo.InvariantCulture);
                sql.Append(j == 0 ? "@" : ", @").Append(name);
                parameters.Add(name, rows.Rows[i][j]);
            }

            sql.Append(')');
        }

        sql.Append(";\n");
    }

    private static Task AddOutboxEntryAsync(ShardConnection shard, OrderId orderId, long version, string op, DateTimeOffset now, System.Data.Common.DbTransaction transaction, CancellationToken cancellationToken) =>
        shard.Connection.ExecuteAsync(new CommandDefinition(
            shard.Sql(InsertOutbox), new { OrderId = orderId.Value, Version = version, Op = op, Now = now.UtcDateTime }, transaction, cancellationToken: cancellationToken));

    private void Validate(OrderRecord order)
    {
        ArgumentNullException.ThrowIfNull(order);
        OrderValidation.Validate(order, DataSource.Map);
    }
}

using System.Data;
using System.Data.Common;
using Dapper;
using Polly;

namespace ShardKit.Orders;

/// <summary>
/// Applies an order's merchant copy the one idempotent way (for callers that do not hold the rows: repairs, migrations;
/// the store's writes and the relay write held or batch-read states through <see cref="MerchantCopyWriter"/>): re-read the current user-side state (row or tombstone),
/// upsert it into the merchant shard with the version guard (an older version never overwrites a newer one; a
/// tombstone is a row with <c>deleted = 1</c> and its own version), then mark the order's outbox entries up to that
/// version applied. Running it twice, in any order with other applies, ends in the same merchant row.
/// </summary>
internal sealed class MerchantApplier
{
    private const string ReadOrder = "SELECT " + OrderReader.Columns + " FROM {orders} WHERE order_id = @OrderId";
    private const string ReadTombstone = "SELECT order_id, user_id, merchant_id, created_at, deleted_at, version FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId";
    private const string ReadItems = "SELECT order_id, line_no, sku, quantity, unit_price FROM {order_items} WHERE order_id = @OrderId ORDER BY line_no";
    private const string SnapshotBegin = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nSTART TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;\n";
    private const string ReadOrders = "SELECT " + OrderReader.Columns + " FROM {orders} WHERE order_id IN @Ids";
    private const string ReadItemsOfOrders = "SELECT order_id, line_no, sku, quantity, unit_price FROM {order_items} WHERE order_id IN @Ids ORDER BY order_id, line_no";
    private const string ReadTombstones = "SELECT order_id, user_id, merchant_id, created_at, deleted_at, version FROM {schema}.`shardkit_tombstones` WHERE order_id IN @Ids";
    private const string MarkApplied = "UPDATE {schema}.`shardkit_outbox` SET applied_at = @Now WHERE order_id = @OrderId AND version <= @Version AND applied_at IS NULL";
    private readonly ShardKitDataSource _dataSource;

    // Deadlocks or lock wait timeouts between concurrent appliers of the same order: safe to run again.
    private readonly ResiliencePipeline _retry;

    public MerchantApplier(ShardKitDataSource dataSource)
    {
        _dataSource = dataSource;
        _retry = TransientRetry.Create(attempts: 3, TimeSpan.FromMilliseconds(5), dataSource.TimeProvider);
    }

    /// <summary>Test hook: runs after the merchant write and before the outbox is marked (a crash there must be harmless).</summary>
    internal Func<OrderId, Task>? AfterMerchantWrite { get; set; }

    /// <summary>Applies the order's current user-side state to its merchant shard and marks its outbox entries.</summary>
    /// <returns>The version applied, or <see langword="null"/> when the user side holds neither the order nor its tombstone.</returns>
    public async Task<long?> ApplyAsync(OrderId orderId, bool force, CancellationToken cancellationToken)
    {
        var userShard = await _dataSource.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (userShard.ConfigureAwait(false))
        {
            return await ApplyAsync(userShard, orderId, force, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>As <see cref="ApplyAsync(OrderId, bool, CancellationToken)"/>, on an open connection to the order's user shard.</summary>
    public async Task<long?> ApplyAsync(ShardConnection userShard, OrderId orderId, bool force, CancellationToken cancellationToken) =>
        await _retry.ExecuteAsync(
            static (s, ct) => new ValueTask<long?>(s.Self.ApplyOnceAsync(s.Shard, s.OrderId, s.Force, ct)),
            (Self: this, Shard: userShard, OrderId: orderId, Force: force),
            cancellationToken).ConfigureAwait(false);

    /// <summary>Writes the merchant copies of <paramref name="states"/> (all of one merchant shard) in one round trip, retrying transient failures.</summary>
    public Task WriteCopiesAsync(ShardConnection merchantShard, IReadOnlyList<UserSideState> states, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(
            static (s, ct) => new ValueTask(MerchantCopyWriter.WriteAsync(s.Shard, s.States, ct)),
            (Shard: merchantShard, States: states),
            cancellationToken).AsTask();

    /// <summary>Runs the <see cref="AfterMerchantWrite"/> hook, if any, for <paramref name="orderId"/>.</summary>
    internal Task AfterMerchantWriteAsync(OrderId orderId) => AfterMerchantWrite is { } hook ? hook(orderId) : Task.CompletedTask;

    private async Task<long?> ApplyOnceAsync(ShardConnection userShard, OrderId orderId, bool force, CancellationToken cancellationToken)
    {
        UserSideState? state;
        var read = await userShard.Connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (read.ConfigureAwait(false))
        {
            // One snapshot for the row and its items. A repair reads with shared locks instead and holds them while it
            // overwrites the merchant copy, so no user write can commit (and apply) in between.
            state = await ReadUserSideAsync(userShard, read, orderId, locking: force, cancellationToken).ConfigureAwait(false);
            if (!force)
            {
                await read.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (state is not null)
            {
                await WriteMerchantCopyAsync(state, force, cancellationToken).ConfigureAwait(false);
            }
            else if (force)
            {
                await HideOrphanAsync(orderId, cancellationToken).ConfigureAwait(false);
            }

            if (force)
            {
                await read.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (AfterMerchantWrite is { } hook)
        {
            await hook(orderId).ConfigureAwait(false);
        }

        // Every entry up to the version applied is satisfied; with no trace on the user side there is nothing left to apply.
        await userShard.Connection.ExecuteAsync(new CommandDefinition(
            userShard.Sql(MarkApplied),
            new { OrderId = orderId.Value, Version = state?.Version ?? long.MaxValue, Now = OrderReader.Now(_dataSource.TimeProvider).UtcDateTime },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return state?.Version;
    }

    internal static async Task<UserSideState?> ReadUserSideAsync(ShardConnection userShard, DbTransaction transaction, OrderId orderId, bool locking, CancellationToken cancellationToken)
    {
        var suffix = locking ? " LOCK IN SHARE MODE" : "";
        var parameters = new { OrderId = orderId.Value };
        var orders = await OrderReader.QueryOrdersAsync(userShard, userShard.Sql(ReadOrder) + suffix, parameters, transaction, cancellationToken).ConfigureAwait(false);
        if (orders.Count == 1)
        {
            var items = new List<OrderLine>();
            var reader = await userShard.Connection.ExecuteReaderAsync(new CommandDefinition(
                userShard.Sql(ReadItems) + suffix, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    items.Add(new OrderLine { LineNo = reader.GetInt32(1), Sku = reader.GetString(2), Quantity = reader.GetInt32(3), UnitPrice = reader.GetDecimal(4) });
                }
            }

            return new UserSideState(OrderReader.With(orders[0], items), Deleted: false);
        }

        var tombstone = await userShard.Connection.ExecuteReaderAsync(new CommandDefinition(
            userShard.Sql(ReadTombstone) + suffix, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (tombstone.ConfigureAwait(false))
        {
            if (!await tombstone.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            return Tombstone(tombstone);
        }
    }

    /// <summary>
    /// Reads the current user-side states (row with items, or tombstone) of many orders of one user shard in one snapshot:
    /// one REPEATABLE READ transaction sent as one text, so one round trip for the three reads. Orders with no trace on the user side are absent.
    /// </summary>
    internal static async Task<Dictionary<long, UserSideState>> ReadUserSidesAsync(ShardConnection userShard, IReadOnlyList<long> orderIds, CancellationToken cancellationToken)
    {
        var states = new Dictionary<long, UserSideState>(orderIds.Count);
        if (orderIds.Count == 0)
        {
            return states;
        }

        // One text transaction (one round trip): a REPEATABLE READ snapshot for the rows, their items and the tombstones.
        var orders = new List<OrderRecord>(orderIds.Count);
        var items = new Dictionary<long, List<OrderLine>>();
        var connection = userShard.Connection;
        var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            userShard.Sql(SnapshotBegin + ReadOrders + ";\n" + ReadItemsOfOrders + ";\n" + ReadTombstones + ";\nCOMMIT"),
            new { Ids = orderIds },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                orders.Add(OrderReader.ReadOrder(reader));
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var orderId = reader.GetInt64(0);
                if (!items.TryGetValue(orderId, out var list))
                {
                    items[orderId] = list = [];
                }

                list.Add(new OrderLine { LineNo = reader.GetInt32(1), Sku = reader.GetString(2), Quantity = reader.GetInt32(3), UnitPrice = reader.GetDecimal(4) });
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var tombstone = Tombstone(reader);
                states[tombstone.Order.Id.Value] = tombstone;
            }

            // The COMMIT's outcome.
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }

        // A live row wins over a tombstone of the same ID (an ID is never reused, so both cannot be current).
        foreach (var order in orders)
        {
            states[order.Id.Value] = new UserSideState(OrderReader.With(order, items.TryGetValue(order.Id.Value, out var list) ? list : []), Deleted: false);
        }

        return states;
    }

    private static UserSideState Tombstone(DbDataReader tombstone) => new(
        new OrderRecord
        {
            Id = OrderId.FromValidatedValue(tombstone.GetInt64(0)),
            UserId = tombstone.GetInt64(1),
            MerchantId = tombstone.GetInt64(2),
            Status = "",
            TotalAmount = 0m,
            Currency = "",
            CreatedAt = OrderReader.Utc(tombstone.GetDateTime(3)),
            UpdatedAt = OrderReader.Utc(tombstone.GetDateTime(4)),
            Version = tombstone.GetInt64(5),
        },
        Deleted: true);

    /// <summary>The state a delete leaves, as <see cref="ReadUserSideAsync"/> would read it back: the tombstone.</summary>
    internal static UserSideState TombstoneOf(OrderRecord current, DateTimeOffset deletedAt, long version) => new(
        new OrderRecord
        {
            Id = current.Id,
            UserId = current.UserId,
            MerchantId = current.MerchantId,
            Status = "",
            TotalAmount = 0m,
            Currency = "",
            CreatedAt = current.CreatedAt,
            UpdatedAt = deletedAt,
            Version = version,
        },
        Deleted: true);

    private async Task WriteMerchantCopyAsync(UserSideState state, bool force, CancellationToken cancellationToken)
    {
        var order = state.Order;
        var merchantShard = await _dataSource.OpenOrderShardAsync(order.Id, ShardDimension.Merchant, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (merchantShard.ConfigureAwait(false))
        {
            if (!force)
            {
                await MerchantCopyWriter.WriteAsync(merchantShard, [state], cancellationToken).ConfigureAwait(false);
                return;
            }

            // The repair: the user side wins whatever the merchant copy holds (the user row is share-locked meanwhile).
            var connection = merchantShard.Connection;
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    merchantShard.Sql(MerchantCopySql.ForcedUpsert),
                    WithDeleted(OrderReader.RowParameters(order), state.Deleted),
                    transaction,
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition(
                    merchantShard.Sql(MerchantCopySql.DeleteItems), new { OrderId = order.Id.Value }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (!state.Deleted)
                {
                    await OrderReader.InsertItemsAsync(merchantShard, order.Id.Value, order.Items, transaction, cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static DynamicParameters WithDeleted(DynamicParameters parameters, bool deleted)
    {
        parameters.Add("Deleted", deleted);
        return parameters;
    }

    private async Task HideOrphanAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        var merchantShard = await _dataSource.OpenOrderShardAsync(orderId, ShardDimension.Merchant, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (merchantShard.ConfigureAwait(false))
        {
            var transaction = await merchantShard.Connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var parameters = new { OrderId = orderId.Value };
                await merchantShard.Connection.ExecuteAsync(new CommandDefinition(merchantShard.Sql(MerchantCopySql.HideOrphan), parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await merchantShard.Connection.ExecuteAsync(new CommandDefinition(merchantShard.Sql(MerchantCopySql.DeleteItems), parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

using System.Data.Common;
using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// Writes and reads on the legacy database. The capture triggers (<see cref="LegacyCapture"/>) fence and log every write in
/// its own transaction; a read holds its bucket's fence row shared.
/// </summary>
public sealed partial class MigratingOrderStore
{
    private LegacySource Source => _source ??= DataSource.Map.Tables.IsDeclared || !DataSource.Map.LegacyTables.IsSameNames
        ? throw new ShardKitException(
            ShardKitErrorCode.InvalidTables,
            "MigratingOrderStore writes ShardKit's built-in order schema, from legacy tables of the same names; with declared or renamed tables (ShardKit:Tables, ShardKit:LegacyTables) a service writes its legacy tables with its own SQL (the capture triggers fence and log every write) and the shards' tables with TwoDimensionOrderStore rows.")
        : new LegacySource(
            DataSource.Map.Legacy?.Database ?? throw new ShardKitException(
                ShardKitErrorCode.InvalidTopology,
                "The legacy connection string (ShardKit:Legacy) must name the legacy database (Database=...)."),
            DataSource.Map);

    private LegacyIdAssigner Assigner => _assigner ??= new LegacyIdAssigner(DataSource.Map, _legacyIds);

    private async Task<OrderRecord> CreateOnSourceAsync(OrderRecord order, CancellationToken cancellationToken)
    {
        var now = OrderReader.Now(DataSource.TimeProvider);
        var bucket = order.Id.UserShard;
        await InSourceWriteAsync(bucket, async (connection, transaction) =>
        {
            var tombstoned = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                Source.Sql("SELECT COUNT(*) FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId"), new { OrderId = order.Id.Value }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (tombstoned > 0)
            {
                throw new ArgumentException($"Order ID {order.Id} belonged to an order that was deleted; order IDs are not reused.", nameof(order));
            }

            await connection.ExecuteAsync(new CommandDefinition(
                Source.Sql("""
                    INSERT INTO {orders} (user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext, shardkit_order_id)
                    VALUES (@UserId, @MerchantId, @Status, @TotalAmount, @Currency, @Now, @Now, 1, @Ext, @OrderId)
                    """),
                new { order.UserId, order.MerchantId, order.Status, order.TotalAmount, order.Currency, Now = now.UtcDateTime, order.Ext, OrderId = order.Id.Value, Bucket = bucket },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            var legacyId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT LAST_INSERT_ID()", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await OrderReader.InsertItemsAsync(connection, Source.Sql("{order_items}"), legacyId, order.Items, transaction, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
        return order.WithStoredState(order.Items.ToArray(), now, now, 1);
    }

    private async Task<OrderRecord?> UpdateOnSourceAsync(OrderRecord order, CancellationToken cancellationToken)
    {
        var now = OrderReader.Now(DataSource.TimeProvider);
        var bucket = order.Id.UserShard;
        return await InSourceWriteAsync(bucket, async (connection, transaction) =>
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                Source.Sql($$"""
                    UPDATE {orders} SET status = @Status, total_amount = @TotalAmount, currency = @Currency, ext = @Ext, updated_at = @Now, version = version + 1
                    WHERE {{Source.WhereOrder(order.Id)}} AND user_id = @UserId AND merchant_id = @MerchantId
                    """),
                new { order.Status, order.TotalAmount, order.Currency, order.Ext, Now = now.UtcDateTime, OrderId = order.Id.Value, Key = LegacyOrderIds.KeyOrNone(order.Id), order.UserId, order.MerchantId },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (changed == 0)
            {
                return null;
            }

            var current = await connection.QuerySingleAsync<(long LegacyId, long Version, DateTime CreatedAt)>(new CommandDefinition(
                Source.Sql($"SELECT {Source.Key}, {Source.VersionColumn}, created_at FROM {{orders}} WHERE {Source.WhereOrder(order.Id)}"), new { OrderId = order.Id.Value, Key = LegacyOrderIds.KeyOrNone(order.Id) }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                Source.Sql("DELETE FROM {order_items} WHERE order_id = @LegacyId"), new { current.LegacyId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await OrderReader.InsertItemsAsync(connection, Source.Sql("{order_items}"), current.LegacyId, order.Items, transaction, cancellationToken).ConfigureAwait(false);
            return order.WithStoredState(order.Items.ToArray(), OrderReader.Utc(current.CreatedAt), now, current.Version);
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> DeleteOnSourceAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        return await InSourceWriteAsync(orderId.UserShard, async (connection, transaction) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<(long LegacyId, long UserId, long MerchantId, long? OrderId)?>(new CommandDefinition(
                Source.Sql($"SELECT order_id, user_id, merchant_id, shardkit_order_id FROM {{orders}} WHERE {Source.WhereOrder(orderId)} FOR UPDATE"),
                new { OrderId = orderId.Value, Key = LegacyOrderIds.KeyOrNone(orderId) },
                transaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (row is not { } found || Source.IdOf(new LegacyRowKey(found.LegacyId, found.UserId, found.MerchantId, found.OrderId)) != orderId)
            {
                return false;
            }

            var id = found.LegacyId;

            // The delete trigger leaves the tombstone (the next version) and logs the change.
            await connection.ExecuteAsync(new CommandDefinition(Source.Sql("DELETE FROM {order_items} WHERE order_id = @LegacyId"), new { LegacyId = id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(Source.Sql("DELETE FROM {orders} WHERE order_id = @LegacyId"), new { LegacyId = id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private Task<OrderRecord?> GetOnSourceAsync(OrderId orderId, CancellationToken cancellationToken) =>
        InSourceReadAsync(orderId.UserShard, async (connection, transaction) =>
        {
            var found = await Source.ReadStateAsync(connection, transaction, orderId, locking: false, cancellationToken).ConfigureAwait(false);
            return found is { State.Deleted: false } live ? live.State.Order : null;
        }, cancellationToken);

    /// <summary>
    /// Links a legacy order to its ShardKit ID (its own, or the one derived from its legacy key) in the legacy ID map if the
    /// backfill has not yet: the same link the backfill makes. Nothing is written to the legacy row.
    /// </summary>
    private async Task<OrderId?> AssignLegacyIdAsync(long legacyId, CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var row = await connection.QuerySingleOrDefaultAsync<(long UserId, long MerchantId, long? OrderId)?>(new CommandDefinition(
                Source.Sql("SELECT user_id, merchant_id, shardkit_order_id FROM {orders} WHERE order_id = @LegacyId"), new { LegacyId = legacyId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (row is not { } r)
            {
                return null;
            }

            var linked = await Assigner.LinkAsync([new LegacyRowKey(legacyId, r.UserId, r.MerchantId, r.OrderId)], cancellationToken).ConfigureAwait(false);
            return linked[legacyId];
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/> in one legacy transaction, marked as one that versions its orders itself, and commits. A
    /// refusal by the bucket's fence trigger becomes a <see cref="FenceRedirectException"/> naming the shards.
    /// </summary>
    private async Task<T> InSourceWriteAsync<T>(int bucket, Func<DbConnection, DbTransaction, Task<T>> body, CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(LegacyCapture.VersionedSession, transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    var result = await body(connection, transaction).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return result;
                }
                catch (DbException ex) when (ShardFenceSignal.Find(ex) is { Side: Authority.Target })
                {
                    throw new FenceRedirectException(bucket, Authority.Target);
                }
                catch (DbException ex) when (IsUnprepared(ex))
                {
                    throw Unprepared(bucket, ex);
                }
            }
        }
    }

    // The migration's tables and columns are missing: it is complete (archived) or was never planned.
    private static bool IsUnprepared(DbException exception) => ControlSchema.IsMissingTable(exception) || exception.SqlState == "42S22";

    private Exception Unprepared(int bucket, DbException exception) => _complete
        ? new FenceRedirectException(bucket, Authority.Target)
        : new ShardKitException(
            ShardKitErrorCode.InvalidTopology,
            $"The legacy database '{Source.Database}' is not prepared for the migration (no fence table): run `shardkit migrate plan` first.",
            exception);

    /// <summary>
    /// Runs the read <paramref name="body"/> in one legacy transaction after taking the bucket's fence row shared (a cutover
    /// in progress holds it). Throws <see cref="FenceRedirectException"/> when the fence names the target.
    /// </summary>
    private async Task<T> InSourceReadAsync<T>(int bucket, Func<DbConnection, DbTransaction, Task<T>> body, CancellationToken cancellationToken)
    {
        var connection = await DataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                FenceState? fence;
                try
                {
                    fence = await Source.ReadFenceAsync(connection, transaction, bucket, exclusive: false, cancellationToken).ConfigureAwait(false);
                }
                catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
                {
                    throw Unprepared(bucket, ex);
                }

                if (fence is not { } f)
                {
                    throw new ShardKitException(ShardKitErrorCode.InvalidTopology, $"The legacy database has no fence row for bucket {bucket}: run `shardkit migrate plan` with this topology.");
                }

                if (f.Authority != Authority.Source)
                {
                    throw new FenceRedirectException(bucket, Authority.Target);
                }

                var result = await body(connection, transaction).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
        }
    }
}

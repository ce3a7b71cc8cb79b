using System.Data;
using System.Data.Common;
using Dapper;
using Polly;

namespace ShardKit.Migration;

/// <summary>
/// The reverse flow's write: applies an order's state read from its user shard to the legacy source with the same
/// version guard as the forward copy. An order created on the shards after cutover gets a new legacy row (and key).
/// </summary>
internal sealed class LegacyApplier
{
    private static readonly ResiliencePipeline s_retry = TransientRetry.Create(attempts: 5, TimeSpan.FromMilliseconds(10), TimeProvider.System);

    private readonly LegacySource _source;
    private readonly string _lockOrder;
    private readonly string _lockTombstone;
    private readonly string _deleteItems;
    private readonly string _deleteOrder;
    private readonly string _deleteTombstone;
    private readonly string _updateOrder;
    private readonly string _insertOrder;

    public LegacyApplier(LegacySource source)
    {
        _source = source;
        _lockOrder = source.Sql("SELECT order_id, version FROM {orders} WHERE shardkit_order_id = @OrderId FOR UPDATE");
        _lockTombstone = source.Sql("SELECT legacy_id, version FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId FOR UPDATE");
        _deleteItems = source.Sql("DELETE FROM {order_items} WHERE order_id = @LegacyId");
        _deleteOrder = source.Sql("DELETE FROM {orders} WHERE order_id = @LegacyId");
        _deleteTombstone = source.Sql("DELETE FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId");
        _updateOrder = source.Sql("""
            UPDATE {orders} SET user_id = @UserId, merchant_id = @MerchantId, status = @Status, total_amount = @TotalAmount, currency = @Currency,
                created_at = @CreatedAt, updated_at = @UpdatedAt, ext = @Ext, version = @Version
            WHERE order_id = @LegacyId
            """);
        _insertOrder = source.Sql("""
            INSERT INTO {orders} (user_id, merchant_id, status, total_amount, currency, created_at, updated_at, ext, version, shardkit_order_id, shardkit_bucket)
            VALUES (@UserId, @MerchantId, @Status, @TotalAmount, @Currency, @CreatedAt, @UpdatedAt, @Ext, @Version, @OrderId, @Bucket)
            """);
    }

    /// <summary>Applies <paramref name="state"/> unless the source holds the order or its tombstone at the same or a newer version (or <paramref name="force"/>).</summary>
    public async Task<bool> ApplyAsync(DbConnection connection, UserSideState state, int bucket, bool force, CancellationToken cancellationToken)
    {
        return await s_retry.ExecuteAsync(
            static async (s, ct) =>
            {
                var transaction = await s.Connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var applied = await s.Self.ApplyOneAsync(s.Connection, transaction, s.State, s.Bucket, s.Force, ct).ConfigureAwait(false);
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    return applied;
                }
            },
            (Self: this, Connection: connection, State: state, Bucket: bucket, Force: force),
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> ApplyOneAsync(DbConnection connection, DbTransaction transaction, UserSideState state, int bucket, bool force, CancellationToken cancellationToken)
    {
        var order = state.Order;
        var id = new { OrderId = order.Id.Value };
        var row = await connection.QuerySingleOrDefaultAsync<(long LegacyId, long Version)?>(new CommandDefinition(_lockOrder, id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var tombstone = await connection.QuerySingleOrDefaultAsync<(long LegacyId, long Version)?>(new CommandDefinition(_lockTombstone, id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var current = Math.Max(row?.Version ?? 0, tombstone?.Version ?? 0);
        if (!force && current >= order.Version)
        {
            return false;
        }

        var legacyId = row?.LegacyId ?? tombstone?.LegacyId ?? 0;
        var values = OrderReader.RowParameters(order);
        values.Add("LegacyId", legacyId);
        values.Add("Bucket", bucket);
        if (state.Deleted)
        {
            if (row is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(_deleteItems, values, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition(_deleteOrder, values, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await Tombstones.UpsertAsync(
                connection, transaction, _source.Sql,
                [new Tombstone(order.Id.Value, order.UserId, order.MerchantId, order.CreatedAt.UtcDateTime, order.UpdatedAt.UtcDateTime, order.Version, legacyId)],
                cancellationToken).ConfigureAwait(false);
            return true;
        }

        await connection.ExecuteAsync(new CommandDefinition(_deleteTombstone, id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (row is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(_updateOrder, values, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(_deleteItems, values, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(_insertOrder, values, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            legacyId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT LAST_INSERT_ID()", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await OrderReader.InsertItemsAsync(connection, _source.ItemsTable, legacyId, order.Items, transaction, cancellationToken).ConfigureAwait(false);
        return true;
    }
}

using System.Data.Common;
using Dapper;

namespace ShardKit.Orders;

/// <summary>Reads orders and their items from a shard's tables, the same way on both dimensions.</summary>
internal static class OrderReader
{
    public const string Columns = "order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext";

    public static Task<List<OrderRecord>> QueryOrdersAsync(ShardConnection shard, string sql, object parameters, DbTransaction? transaction, CancellationToken cancellationToken) =>
        QueryOrdersAsync(shard.Connection, sql, parameters, transaction, cancellationToken);

    /// <summary>Reads orders selected as <see cref="Columns"/> (in that order) from any connection.</summary>
    public static async Task<List<OrderRecord>> QueryOrdersAsync(DbConnection connection, string sql, object parameters, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var orders = new List<OrderRecord>();
        var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                orders.Add(ReadOrder(reader));
            }
        }

        return orders;
    }

    /// <summary>Reads the current row of a reader positioned on a row selected as <see cref="Columns"/>.</summary>
    public static OrderRecord ReadOrder(DbDataReader reader) => new()
    {
        Id = OrderId.FromValidatedValue(reader.GetInt64(0)),
        UserId = reader.GetInt64(1),
        MerchantId = reader.GetInt64(2),
        Status = reader.GetString(3),
        TotalAmount = reader.GetDecimal(4),
        Currency = reader.GetString(5),
        CreatedAt = Utc(reader.GetDateTime(6)),
        UpdatedAt = Utc(reader.GetDateTime(7)),
        Version = reader.GetInt64(8),
        Ext = reader.IsDBNull(9) ? null : reader.GetString(9),
    };

    /// <summary>Loads the items of <paramref name="orders"/> (all from <paramref name="shard"/>) and returns the orders with them.</summary>
    public static async Task<List<OrderRecord>> WithItemsAsync(ShardConnection shard, List<OrderRecord> orders, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        if (orders.Count == 0)
        {
            return orders;
        }

        var items = new Dictionary<long, List<OrderLine>>();
        var sql = shard.Sql("SELECT order_id, line_no, sku, quantity, unit_price FROM {order_items} WHERE order_id IN @Ids ORDER BY order_id, line_no");
        var reader = await shard.Connection.ExecuteReaderAsync(new CommandDefinition(
            sql, new { Ids = orders.Select(o => o.Id.Value).ToArray() }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var orderId = reader.GetInt64(0);
                if (!items.TryGetValue(orderId, out var list))
                {
                    items[orderId] = list = [];
                }

                list.Add(new OrderLine
                {
                    LineNo = reader.GetInt32(1),
                    Sku = reader.GetString(2),
                    Quantity = reader.GetInt32(3),
                    UnitPrice = reader.GetDecimal(4),
                });
            }
        }

        return orders.Select(o => items.TryGetValue(o.Id.Value, out var list) ? With(o, list) : o).ToList();
    }

    public static OrderRecord With(OrderRecord order, IReadOnlyList<OrderLine> items) =>
        order.WithStoredState(items, order.CreatedAt, order.UpdatedAt, order.Version);

    /// <summary>Inserts <paramref name="items"/> of one order in one statement.</summary>
    public static Task InsertItemsAsync(ShardConnection shard, long orderId, IReadOnlyList<OrderLine> items, DbTransaction transaction, CancellationToken cancellationToken) =>
        InsertItemsAsync(shard.Connection, shard.Sql("{order_items}"), orderId, items, transaction, cancellationToken);

    /// <summary>Inserts <paramref name="items"/> of one order into <paramref name="itemsTable"/> (a quoted table name) in one statement.</summary>
    public static Task InsertItemsAsync(DbConnection connection, string itemsTable, long orderId, IReadOnlyList<OrderLine> items, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (items.Count == 0)
        {
            return Task.CompletedTask;
        }

        // The table name comes from the shard (cached); the row list varies with the item count, so it is not a template.
        var sql = new System.Text.StringBuilder("INSERT INTO ")
            .Append(itemsTable)
            .Append(" (order_id, line_no, sku, quantity, unit_price) VALUES ");
        var parameters = new DynamicParameters();
        parameters.Add("OrderId", orderId);
        for (var i = 0; i < items.Count; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(System.Globalization.CultureInfo.InvariantCulture, $"(@OrderId, @L{i}, @S{i}, @Q{i}, @P{i})");
            parameters.Add("L" + i, items[i].LineNo);
            parameters.Add("S" + i, items[i].Sku);
            parameters.Add("Q" + i, items[i].Quantity);
            parameters.Add("P" + i, items[i].UnitPrice);
        }

        return connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// An order's stored columns as statement parameters: <c>@OrderId</c>, <c>@UserId</c>, <c>@MerchantId</c>, <c>@Status</c>,
    /// <c>@TotalAmount</c>, <c>@Currency</c>, <c>@CreatedAt</c>, <c>@UpdatedAt</c>, <c>@Ext</c>, <c>@Version</c>, for the
    /// statements that copy a whole row (the merchant copy, the migration's applies). Add further parameters to the result.
    /// </summary>
    public static DynamicParameters RowParameters(OrderRecord order)
    {
        var parameters = new DynamicParameters();
        parameters.Add("OrderId", order.Id.Value);
        parameters.Add("UserId", order.UserId);
        parameters.Add("MerchantId", order.MerchantId);
        parameters.Add("Status", order.Status);
        parameters.Add("TotalAmount", order.TotalAmount);
        parameters.Add("Currency", order.Currency);
        parameters.Add("CreatedAt", order.CreatedAt.UtcDateTime);
        parameters.Add("UpdatedAt", order.UpdatedAt.UtcDateTime);
        parameters.Add("Ext", order.Ext);
        parameters.Add("Version", order.Version);
        return parameters;
    }

    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>The current time truncated to microseconds, as DATETIME(6) keeps it.</summary>
    public static DateTimeOffset Now(TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow().UtcTicks;
        return new DateTimeOffset(now - (now % 10), TimeSpan.Zero);
    }
}

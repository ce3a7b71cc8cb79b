namespace ShardKit.Orders;

/// <summary>
/// The typed <see cref="OrderRecord"/> as rows of ShardKit's built-in tables (<see cref="TableModel.BuiltIn"/>): the
/// typed API is a thin layer over the generic one, and this is the whole of the layer's mapping.
/// </summary>
internal static class BuiltInRows
{
    public static readonly string[] OrderColumns = ["order_id", "user_id", "merchant_id", "status", "total_amount", "currency", "created_at", "updated_at", "version", "ext"];
    public static readonly string[] ItemColumns = ["order_id", "line_no", "sku", "quantity", "unit_price"];

    private static DeclaredTable Orders => TableModel.BuiltIn.Root;

    private static DeclaredTable Items => TableModel.BuiltIn.Children[0];

    /// <summary>The order's rows: its <c>orders</c> row (with its timestamps and version as they are) and its <c>order_items</c> rows.</summary>
    public static (TableRows Root, IReadOnlyList<TableRows> Children) Of(OrderRecord order)
    {
        var root = new TableRows(Orders, OrderColumns, [[
            order.Id.Value, order.UserId, order.MerchantId, order.Status, order.TotalAmount, order.Currency,
            order.CreatedAt.UtcDateTime, order.UpdatedAt.UtcDateTime, order.Version, order.Ext]]);
        return (root, [ItemsOf(order)]);
    }

    public static TableRows ItemsOf(OrderRecord order)
    {
        var items = new List<object?[]>(order.Items.Count);
        foreach (var item in order.Items)
        {
            items.Add([order.Id.Value, item.LineNo, item.Sku, item.Quantity, item.UnitPrice]);
        }

        return new TableRows(Items, ItemColumns, items);
    }

    /// <summary>The record held by built-in rows read from a shard or written by the store.</summary>
    public static OrderRecord ToRecord(TableRows root, IReadOnlyList<TableRows> children, CausalToken? causalToken)
    {
        var row = root.Rows[0];
        object? Get(string column) => row[Index(root, column)];
        var items = new List<OrderLine>();
        foreach (var table in children)
        {
            if (!table.Table.Name.Equals("order_items", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            int line = Index(table, "line_no"), sku = Index(table, "sku"), quantity = Index(table, "quantity"), price = Index(table, "unit_price");
            foreach (var item in table.Rows)
            {
                items.Add(new OrderLine
                {
                    LineNo = Convert.ToInt32(item[line], System.Globalization.CultureInfo.InvariantCulture),
                    Sku = (string)item[sku]!,
                    Quantity = Convert.ToInt32(item[quantity], System.Globalization.CultureInfo.InvariantCulture),
                    UnitPrice = Convert.ToDecimal(item[price], System.Globalization.CultureInfo.InvariantCulture),
                });
            }
        }

        items.Sort((a, b) => a.LineNo.CompareTo(b.LineNo));
        return new OrderRecord
        {
            Id = OrderId.FromValidatedValue(Convert.ToInt64(Get("order_id"), System.Globalization.CultureInfo.InvariantCulture)),
            UserId = Convert.ToInt64(Get("user_id"), System.Globalization.CultureInfo.InvariantCulture),
            MerchantId = Convert.ToInt64(Get("merchant_id"), System.Globalization.CultureInfo.InvariantCulture),
            Status = (string)Get("status")!,
            TotalAmount = Convert.ToDecimal(Get("total_amount"), System.Globalization.CultureInfo.InvariantCulture),
            Currency = (string)Get("currency")!,
            CreatedAt = OrderReader.Utc((DateTime)Get("created_at")!),
            UpdatedAt = OrderReader.Utc((DateTime)Get("updated_at")!),
            Version = Convert.ToInt64(Get("version"), System.Globalization.CultureInfo.InvariantCulture),
            Ext = Get("ext") as string,
            Items = items,
            CausalToken = causalToken,
        };
    }

    private static int Index(TableRows rows, string column)
    {
        var index = rows.IndexOf(column);
        return index >= 0
            ? index
            : throw new InvalidOperationException($"Table {rows.Table.Name} has no column {column}: the typed OrderRecord API needs ShardKit's built-in order schema.");
    }
}

namespace ShardKit.Routing;

/// <summary>
/// Replaces the placeholders of routed SQL with a shard's back-quoted physical names: <c>{schema}</c>, every declared
/// table of the map's <see cref="TableModel"/> (<c>{orders}</c>, <c>{order_payments}</c>), and the built-in
/// <c>{orders}</c> and <c>{order_items}</c>. Any other text, braces included, is left as it is.
/// </summary>
internal static class SqlTemplate
{
    public const string SchemaToken = "{schema}";
    public const string OrdersToken = "{orders}";
    public const string OrderItemsToken = "{order_items}";

    public static string Expand(string template, ShardSlot slot)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (!template.Contains('{', StringComparison.Ordinal))
        {
            return template;
        }

        var sql = template;
        foreach (var table in slot.Map.Tables.Tables)
        {
            sql = sql.Replace(table.Placeholder, slot.QuotedSchema + ".`" + table.Name + "`", StringComparison.Ordinal);
        }

        return sql
            .Replace(OrdersToken, slot.OrdersTable, StringComparison.Ordinal)
            .Replace(OrderItemsToken, slot.OrderItemsTable, StringComparison.Ordinal)
            .Replace(SchemaToken, slot.QuotedSchema, StringComparison.Ordinal);
    }
}

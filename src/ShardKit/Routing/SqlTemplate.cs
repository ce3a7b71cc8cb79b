namespace ShardKit.Routing;

/// <summary>
/// Replaces the placeholders <c>{schema}</c>, <c>{orders}</c> and <c>{order_items}</c> with a shard's
/// back-quoted physical names. Any other text, braces included, is left as it is.
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

        return template
            .Replace(OrdersToken, slot.OrdersTable, StringComparison.Ordinal)
            .Replace(OrderItemsToken, slot.OrderItemsTable, StringComparison.Ordinal)
            .Replace(SchemaToken, slot.QuotedSchema, StringComparison.Ordinal);
    }
}

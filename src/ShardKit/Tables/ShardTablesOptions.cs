namespace ShardKit.Tables;

/// <summary>
/// The <c>ShardKit:Tables</c> section: a team's sharded order tables, declared once so that every service and the
/// <c>shardkit</c> CLI see the same model. Absent, ShardKit uses its built-in order schema
/// (<see cref="TableModel.BuiltIn"/>: <c>orders</c> and <c>order_items</c>).
/// </summary>
public sealed class ShardTablesOptions
{
    /// <summary>The root table: one row per order, with the order-ID, user-ID, merchant-ID and version columns.</summary>
    public TableOptions? Root { get; set; }

    /// <summary>The child tables: rows that belong to an order (items, payments, deliveries), on the order's shard.</summary>
    public IList<TableOptions> Children { get; set; } = new List<TableOptions>();

    /// <summary>
    /// Whether a service checks the declared tables against every shard's <c>information_schema</c> when it starts
    /// (a missing table or key column, a wrong key type or shards of different shapes fail the start). Default true.
    /// </summary>
    public bool CheckAtStartup { get; set; } = true;
}

namespace ShardKit.Tables;

/// <summary>
/// The <c>ShardKit:LegacyTables</c> section: how the legacy monolith's order tables map onto the declared tables
/// (<c>ShardKit:Tables</c>, or the built-in schema) for the legacy import, <c>shardkit migrate</c>. Absent, every declared
/// table is read from the legacy table of the same name, keyed by the column of its order-ID column's name.
/// </summary>
public sealed class LegacyTablesOptions
{
    /// <summary>The legacy table holding one row per order, with the legacy key.</summary>
    public LegacyTableOptions? Root { get; set; }

    /// <summary>One entry per declared child table whose legacy table or columns are named differently.</summary>
    public IList<LegacyTableOptions> Children { get; set; } = new List<LegacyTableOptions>();
}

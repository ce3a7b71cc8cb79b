namespace ShardKit.Tables;

/// <summary>A declared table's place in the order model.</summary>
public enum TableRole
{
    /// <summary>The root table: one row per order, with its key and version columns.</summary>
    Root = 0,

    /// <summary>A child table: rows of an order, co-located with it by order ID.</summary>
    Child = 1,
}

namespace ShardKit.Tables;

/// <summary>
/// One sharded table of a team's order model, as declared in the <c>ShardKit:Tables</c> section. The root table
/// (<see cref="ShardTablesOptions.Root"/>) names the order's key columns; a child table is co-located with its order by
/// order ID (the way ShardingSphere's binding tables are) and names only its order-ID column.
/// </summary>
public sealed class TableOptions
{
    /// <summary>The table's name in every shard's schema (letters, digits, <c>_</c> and <c>$</c>; up to 64; not <c>shardkit_*</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>The column that holds the ShardKit order ID (a <c>BIGINT</c>). Default <c>order_id</c>.</summary>
    public string OrderIdColumn { get; set; } = "order_id";

    /// <summary>The root table's user-ID column (a <c>BIGINT</c>). Default <c>user_id</c>; a child table leaves it unset.</summary>
    public string? UserIdColumn { get; set; }

    /// <summary>The root table's merchant-ID column (a <c>BIGINT</c>). Default <c>merchant_id</c>; a child table leaves it unset.</summary>
    public string? MerchantIdColumn { get; set; }

    /// <summary>
    /// The root table's version column (an integer): it orders the copies of the two dimensions, so an older copy never
    /// overwrites a newer one. Default <c>version</c>; a child table leaves it unset (its rows follow their order's version).
    /// </summary>
    public string? VersionColumn { get; set; }

    /// <summary>What the merchant dimension keeps of this table. Default <see cref="MerchantCopy.All"/>.</summary>
    public MerchantCopy MerchantCopy { get; set; } = MerchantCopy.All;

    /// <summary>With <see cref="MerchantCopy.Columns"/>: the columns the merchant copy keeps (the key columns are added).</summary>
    public IList<string> MerchantColumns { get; set; } = new List<string>();
}

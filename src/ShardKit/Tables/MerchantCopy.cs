namespace ShardKit.Tables;

/// <summary>What the merchant dimension keeps of a declared table.</summary>
public enum MerchantCopy
{
    /// <summary>Every column: the merchant shard holds the same table as the user shard.</summary>
    All = 0,

    /// <summary>Only the columns listed in the table's <c>MerchantColumns</c> (its key columns always included).</summary>
    Columns = 1,

    /// <summary>Nothing: the table lives on user shards only (a child table only; the root always has a merchant copy).</summary>
    None = 2,
}

namespace ShardKit.Routing;

/// <summary>The two ways an order is sharded: every order is stored once in each dimension.</summary>
public enum ShardDimension
{
    /// <summary>Orders sharded by user ID; the authoritative copy, written first.</summary>
    User = 0,

    /// <summary>Orders sharded by merchant ID; the copy merchants read.</summary>
    Merchant = 1,
}

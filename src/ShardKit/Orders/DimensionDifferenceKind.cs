namespace ShardKit.Orders;

/// <summary>How an order's merchant copy differs from its user-side row.</summary>
public enum DimensionDifferenceKind
{
    /// <summary>The user side has the order; the merchant copy is missing or a tombstone.</summary>
    MissingOnMerchant,

    /// <summary>The merchant copy shows an order the user side does not have (deleted or never written there).</summary>
    ExtraOnMerchant,

    /// <summary>Both sides have the order, with different content (version, fields or items).</summary>
    Different,
}

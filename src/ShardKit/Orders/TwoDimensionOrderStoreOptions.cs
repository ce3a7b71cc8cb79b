namespace ShardKit.Orders;

/// <summary>How <see cref="TwoDimensionOrderStore"/> keeps the merchant copy.</summary>
public sealed class TwoDimensionOrderStoreOptions
{
    /// <summary>
    /// Whether every write applies its merchant copy right after the user-shard commit (best effort: a failure
    /// is logged and left to <see cref="OutboxRelay"/>). Default <see langword="true"/>. When <see langword="false"/>,
    /// only the relay applies the copy.
    /// </summary>
    public bool ApplyMerchantCopyImmediately { get; set; } = true;
}

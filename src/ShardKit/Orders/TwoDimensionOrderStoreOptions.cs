using System.Globalization;

namespace ShardKit.Orders;

/// <summary>How <see cref="TwoDimensionOrderStore"/> keeps the merchant copy.</summary>
public sealed class TwoDimensionOrderStoreOptions : IValidatedOptions
{
    /// <summary>
    /// Whether every write applies its merchant copy right after the user-shard commit (best effort: a failure
    /// is logged and left to <see cref="OutboxRelay"/>). Default <see langword="true"/>. When <see langword="false"/>,
    /// only the relay applies the copy.
    /// </summary>
    public bool ApplyMerchantCopyImmediately { get; set; } = true;

    /// <summary>
    /// The most time a write spends on its inline merchant copy (opening the merchant shard included), from 1 ms to
    /// 1 minute; past it the copy is given up and left to <see cref="OutboxRelay"/>, and the write returns. After such a
    /// failure, inline copies to the same merchant cluster are left to the relay at once for a while (0.5 s, doubling with
    /// each further failure, up to 30 s; one write then tries again), so an unreachable merchant cluster does not slow
    /// down writes whose user shard is healthy. Default 1 second.
    /// </summary>
    public TimeSpan MerchantCopyTimeout { get; set; } = TimeSpan.FromSeconds(1);

    IEnumerable<string> IValidatedOptions.Validate()
    {
        if (MerchantCopyTimeout < TimeSpan.FromMilliseconds(1) || MerchantCopyTimeout > TimeSpan.FromMinutes(1))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{nameof(TwoDimensionOrderStoreOptions)}.{nameof(MerchantCopyTimeout)} is {MerchantCopyTimeout}; it must be from 1 ms to 1 minute.");
        }
    }
}

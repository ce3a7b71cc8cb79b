namespace ShardKit.Orders;

/// <summary>
/// The comparison of one merchant shard with the user-side rows that belong to it (spread over every user shard,
/// found by the merchant gene in their order IDs): counts and order-independent checksums of a canonical row form.
/// </summary>
public sealed class DimensionShardReport
{
    /// <summary>The merchant shard index.</summary>
    public required int MerchantShard { get; init; }

    /// <summary>The merchant shard's name, for example <c>merchant:17</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Orders on the user side whose merchant gene is this shard.</summary>
    public required long UserCount { get; init; }

    /// <summary>Visible (not tombstoned) orders in the merchant shard.</summary>
    public required long MerchantCount { get; init; }

    /// <summary>The XOR of the 64-bit row hashes on the user side, in hex.</summary>
    public required string UserChecksum { get; init; }

    /// <summary>The XOR of the 64-bit row hashes in the merchant shard, in hex.</summary>
    public required string MerchantChecksum { get; init; }

    /// <summary>Why the shard could not be compared (a shard was unreachable), or <see langword="null"/>.</summary>
    public string? Error { get; init; }

    /// <summary>Whether counts and checksums are equal and the comparison ran.</summary>
    public bool Matches => Error is null && UserCount == MerchantCount && UserChecksum == MerchantChecksum;
}

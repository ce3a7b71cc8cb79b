namespace ShardKit.Orders;

/// <summary>One order whose two dimensions differ, found by <see cref="DimensionVerifier"/>.</summary>
public sealed class DimensionDifference
{
    /// <summary>The order ID (as stored).</summary>
    public required long OrderId { get; init; }

    /// <summary>The merchant shard that holds (or should hold) the copy.</summary>
    public required int MerchantShard { get; init; }

    /// <summary>How the copy differs.</summary>
    public required DimensionDifferenceKind Kind { get; init; }

    /// <summary>The version on the user side, or <see langword="null"/> when the user side has no row.</summary>
    public long? UserVersion { get; init; }

    /// <summary>The version of the visible merchant copy, or <see langword="null"/> when there is none.</summary>
    public long? MerchantVersion { get; init; }

    /// <summary>Whether a repair re-applied the order and the two sides are now equal.</summary>
    public bool Repaired { get; init; }
}

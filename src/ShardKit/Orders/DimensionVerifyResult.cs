namespace ShardKit.Orders;

/// <summary>The outcome of <see cref="DimensionVerifier.VerifyAsync"/>.</summary>
public sealed class DimensionVerifyResult
{
    /// <summary>One report per merchant shard, in shard order.</summary>
    public required IReadOnlyList<DimensionShardReport> Shards { get; init; }

    /// <summary>The orders that differed, in the shards whose checksums did not match.</summary>
    public required IReadOnlyList<DimensionDifference> Differences { get; init; }

    /// <summary>Differences not repaired (all of them when no repair was asked for).</summary>
    public int Remaining => Differences.Count(d => !d.Repaired);

    /// <summary>Whether the dimensions are equal now: every shard compared and no difference remains.</summary>
    public bool Equal => Remaining == 0 && Shards.All(s => s.Error is null);
}

namespace ShardKit.Leases;

/// <summary>
/// What one instance does with the leases of one cluster in one renewal: the shards it keeps, the free ones it claims
/// (in order of preference; a concurrent claimer may win some) and the ones it gives up.
/// </summary>
internal sealed record LeasePlan(IReadOnlyList<int> Held, IReadOnlyList<int> Claim, IReadOnlyList<int> Release, int Target, int Holders);


namespace ShardKit.Replication;

/// <summary>
/// The replicas of one cluster in one compiled map (their endpoint states are shared through the data source's endpoint
/// table), and the choice of the replica that serves a read: among those not ejected, within the read's maximum lag and
/// whose breaker lets calls through, the one with the fewest connections held (least outstanding requests); ties go
/// to each in turn.
/// </summary>
internal sealed class ReplicaSet
{
    private readonly EndpointState[] _replicas;
    private int _next = -1;

    public ReplicaSet(EndpointState[] replicas)
    {
        _replicas = replicas;
    }

    public int Count => _replicas.Length;

    public EndpointState this[int index] => _replicas[index];

    /// <summary>
    /// The index of the replica to try, or -1 when none is eligible. Replicas whose bit is set in <paramref name="tried"/>
    /// are skipped (indexes from 64 on are never skipped; the caller bounds its attempts).
    /// </summary>
    public int Select(long maxLagMilliseconds, ulong tried)
    {
        var count = _replicas.Length;
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
        var best = -1;
        var bestOutstanding = int.MaxValue;
        for (var i = 0; i < count; i++)
        {
            var index = start + i;
            if (index >= count)
            {
                index -= count;
            }

            if (index < 64 && (tried & (1UL << index)) != 0)
            {
                continue;
            }

            var replica = _replicas[index];
            if (!replica.Health.IsEligible(maxLagMilliseconds) || replica.Guard.Breaker.IsRefusing)
            {
                continue;
            }

            var outstanding = replica.Outstanding;
            if (outstanding < bestOutstanding)
            {
                best = index;
                bestOutstanding = outstanding;
            }
        }

        return best;
    }
}

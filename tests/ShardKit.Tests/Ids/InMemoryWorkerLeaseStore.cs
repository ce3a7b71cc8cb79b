using ShardKit.Ids;

namespace ShardKit.Tests.Ids;

/// <summary>The semantics of <c>shardkit_worker_leases</c> in memory, on a (fake) clock, with switchable failures.</summary>
internal sealed class InMemoryWorkerLeaseStore(TimeProvider clock) : IWorkerLeaseStore
{
    private readonly Lock _lock = new();
    private readonly (string Owner, DateTimeOffset ExpiresAt)[] _rows =
        Enumerable.Repeat((string.Empty, DateTimeOffset.MinValue), OrderIdLayout.MaxLeasedWorkerId + 1).ToArray();

    private int _renewCalls;

    public bool FailRenewals { get; set; }

    public int RenewCalls => Volatile.Read(ref _renewCalls);

    public string OwnerOf(int workerId)
    {
        lock (_lock)
        {
            return _rows[workerId].Owner;
        }
    }

    public void HoldAll()
    {
        lock (_lock)
        {
            for (var i = 0; i < _rows.Length; i++)
            {
                _rows[i] = ($"other-{i}", clock.GetUtcNow().AddMinutes(5));
            }
        }
    }

    public void TakeOver(int workerId)
    {
        lock (_lock)
        {
            _rows[workerId] = ("someone-else", clock.GetUtcNow().AddMinutes(5));
        }
    }

    public Task EnsureCreatedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<int?> TryClaimAsync(string owner, TimeSpan duration, TimeSpan reuseDelay, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            for (var i = 0; i < _rows.Length; i++)
            {
                if (_rows[i].ExpiresAt < now - reuseDelay)
                {
                    _rows[i] = (owner, now + duration);
                    return Task.FromResult<int?>(i);
                }
            }

            return Task.FromResult<int?>(null);
        }
    }

    public Task<bool> TryRenewAsync(int workerId, string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _renewCalls);
        if (FailRenewals)
        {
            throw new InvalidOperationException("The database is unreachable.");
        }

        lock (_lock)
        {
            if (_rows[workerId].Owner != owner)
            {
                return Task.FromResult(false);
            }

            _rows[workerId] = (owner, clock.GetUtcNow() + duration);
            return Task.FromResult(true);
        }
    }

    public Task ReleaseAsync(int workerId, string owner, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_rows[workerId].Owner == owner)
            {
                _rows[workerId] = (string.Empty, clock.GetUtcNow());
            }
        }

        return Task.CompletedTask;
    }
}

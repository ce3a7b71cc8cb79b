namespace ShardKit.Ids;

/// <summary>Where worker-ID leases are recorded; <see cref="DbWorkerLeaseStore"/> is the database implementation.</summary>
internal interface IWorkerLeaseStore
{
    /// <summary>Creates the lease table if it is missing and makes sure it has one row per worker ID.</summary>
    Task EnsureCreatedAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Atomically claims the lowest worker ID whose lease expired more than <paramref name="reuseDelay"/> ago,
    /// for <paramref name="owner"/> until now + <paramref name="duration"/>; returns <see langword="null"/> if all are held.
    /// </summary>
    Task<int?> TryClaimAsync(string owner, TimeSpan duration, TimeSpan reuseDelay, CancellationToken cancellationToken);

    /// <summary>Extends the lease to now + <paramref name="duration"/> if <paramref name="owner"/> still holds it; returns whether it did.</summary>
    Task<bool> TryRenewAsync(int workerId, string owner, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Ends the lease now if <paramref name="owner"/> still holds it (the worker ID is reusable after the reuse delay).</summary>
    Task ReleaseAsync(int workerId, string owner, CancellationToken cancellationToken);
}

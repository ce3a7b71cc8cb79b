namespace ShardKit.Orders;

/// <summary>How <see cref="OutboxRelay"/> scans and retries the outbox.</summary>
public sealed class OutboxRelayOptions
{
    /// <summary>The pause between two passes over every user shard. Default 1 second; at least 1 millisecond.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How many pending entries are read from one shard at a time, 1 to 10,000. Default 200.</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>How many user shards are drained at once, 1 to 64. Default 4.</summary>
    public int Parallelism { get; set; } = 4;

    /// <summary>
    /// The delay before the first retry of an entry that failed; each further failure doubles it, up to
    /// <see cref="RetryMaxDelay"/>. Default 1 second; at least 1 millisecond.
    /// </summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between two attempts of an entry. Default 1 minute; not below <see cref="RetryBaseDelay"/>.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long applied entries are kept before a pass deletes them. Default 1 hour; zero deletes them on the next pass.</summary>
    public TimeSpan AppliedRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How relays running as hosted services share the user shards: each polls only the shards it holds a lease on.
    /// Default: on, 15-second leases renewed every 5 seconds.
    /// </summary>
    public ShardLeaseOptions Leases { get; set; } = new();

    internal void Validate()
    {
        if (Leases is null)
        {
            throw new ArgumentException("Leases is null; set it, or set Leases.Enabled to false.", "options");
        }

        Leases.Validate(nameof(Leases));

        if (PollInterval < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentException($"PollInterval is {PollInterval}; it must be at least 1 ms.", "options");
        }

        if (BatchSize is < 1 or > 10_000)
        {
            throw new ArgumentException($"BatchSize is {BatchSize}; it must be from 1 to 10000.", "options");
        }

        if (Parallelism is < 1 or > 64)
        {
            throw new ArgumentException($"Parallelism is {Parallelism}; it must be from 1 to 64.", "options");
        }

        if (RetryBaseDelay < TimeSpan.FromMilliseconds(1))
        {
            throw new ArgumentException($"RetryBaseDelay is {RetryBaseDelay}; it must be at least 1 ms.", "options");
        }

        if (RetryMaxDelay < RetryBaseDelay)
        {
            throw new ArgumentException($"RetryMaxDelay ({RetryMaxDelay}) is below RetryBaseDelay ({RetryBaseDelay}).", "options");
        }

        if (AppliedRetention < TimeSpan.Zero)
        {
            throw new ArgumentException($"AppliedRetention is {AppliedRetention}; it must not be negative.", "options");
        }
    }
}

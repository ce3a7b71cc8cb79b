using System.Globalization;

namespace ShardKit.Orders;

/// <summary>How <see cref="OutboxRelay"/> scans and retries the outbox.</summary>
public sealed class OutboxRelayOptions : IValidatedOptions
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

    IEnumerable<string> IValidatedOptions.Validate()
    {
        const string Name = nameof(OutboxRelayOptions);
        if (Leases is null)
        {
            yield return Invariant($"{Name}.{nameof(Leases)} is null; set it, or set Leases.Enabled to false.");
        }
        else
        {
            foreach (var problem in Leases.Validate(Invariant($"{Name}.{nameof(Leases)}")))
            {
                yield return problem;
            }
        }

        if (PollInterval < TimeSpan.FromMilliseconds(1))
        {
            yield return Invariant($"{Name}.{nameof(PollInterval)} is {PollInterval}; it must be at least 1 ms.");
        }

        if (BatchSize is < 1 or > 10_000)
        {
            yield return Invariant($"{Name}.{nameof(BatchSize)} is {BatchSize}; it must be from 1 to 10000.");
        }

        if (Parallelism is < 1 or > 64)
        {
            yield return Invariant($"{Name}.{nameof(Parallelism)} is {Parallelism}; it must be from 1 to 64.");
        }

        if (RetryBaseDelay < TimeSpan.FromMilliseconds(1))
        {
            yield return Invariant($"{Name}.{nameof(RetryBaseDelay)} is {RetryBaseDelay}; it must be at least 1 ms.");
        }

        if (RetryMaxDelay < RetryBaseDelay)
        {
            yield return Invariant($"{Name}.{nameof(RetryMaxDelay)} ({RetryMaxDelay}) is below {nameof(RetryBaseDelay)} ({RetryBaseDelay}).");
        }

        if (AppliedRetention < TimeSpan.Zero)
        {
            yield return Invariant($"{Name}.{nameof(AppliedRetention)} is {AppliedRetention}; it must not be negative.");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

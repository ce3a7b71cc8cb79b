using System.Globalization;

namespace ShardKit.AlternateKeys;

/// <summary>How <see cref="AlternateKeyStore"/> caches mappings and sweeps dangling ones.</summary>
public sealed class AlternateKeyStoreOptions : IValidatedOptions
{
    /// <summary>The most mappings kept in the in-process cache (least recently used go first), 0 to 10,000,000. Default 10,000; 0 turns the cache off.</summary>
    public int CacheCapacity { get; set; } = 10_000;

    /// <summary>
    /// How long a cached mapping is trusted before it is read again; bounds how long a release made by another process
    /// stays unseen here. Default 5 minutes; more than zero.
    /// </summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How old a mapping must be before a missing order makes it removable: an order create writes its keys first, so a
    /// younger mapping may belong to a create still in flight. Default 5 minutes; not negative.
    /// </summary>
    public TimeSpan DanglingGracePeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The pause between two passes of <see cref="AlternateKeySweeper"/>. Default 10 minutes; at least 1 millisecond.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How many mappings a sweep or a verification reads from one shard at a time, 1 to 10,000. Default 500.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// How <see cref="AlternateKeySweeper"/>s running in several instances share the user shards: each sweeps only the
    /// shards it holds a lease on. Default: on, 15-second leases renewed every 5 seconds.
    /// </summary>
    public ShardLeaseOptions SweepLeases { get; set; } = new();

    IEnumerable<string> IValidatedOptions.Validate()
    {
        const string Name = nameof(AlternateKeyStoreOptions);
        if (SweepLeases is null)
        {
            yield return Invariant($"{Name}.{nameof(SweepLeases)} is null; set it, or set SweepLeases.Enabled to false.");
        }
        else
        {
            foreach (var problem in SweepLeases.Validate(Invariant($"{Name}.{nameof(SweepLeases)}")))
            {
                yield return problem;
            }
        }

        if (CacheCapacity is < 0 or > 10_000_000)
        {
            yield return Invariant($"{Name}.{nameof(CacheCapacity)} is {CacheCapacity}; it must be from 0 to 10000000.");
        }

        if (CacheDuration <= TimeSpan.Zero)
        {
            yield return Invariant($"{Name}.{nameof(CacheDuration)} is {CacheDuration}; it must be more than zero.");
        }

        if (DanglingGracePeriod < TimeSpan.Zero)
        {
            yield return Invariant($"{Name}.{nameof(DanglingGracePeriod)} is {DanglingGracePeriod}; it must not be negative.");
        }

        if (SweepInterval < TimeSpan.FromMilliseconds(1))
        {
            yield return Invariant($"{Name}.{nameof(SweepInterval)} is {SweepInterval}; it must be at least 1 ms.");
        }

        if (BatchSize is < 1 or > 10_000)
        {
            yield return Invariant($"{Name}.{nameof(BatchSize)} is {BatchSize}; it must be from 1 to 10000.");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

using System.Globalization;

namespace ShardKit.Leases;

/// <summary>
/// How a background service (<see cref="OutboxRelay"/>, <see cref="AlternateKeySweeper"/>) shares the user shards with
/// the other instances running it: each instance holds a lease on some shards, works only on those, renews its leases
/// every <see cref="RenewInterval"/> and takes over the shards of an instance whose leases lapsed.
/// </summary>
/// <remarks>
/// Leases are rows of <c>shardkit.shardkit_leases</c> on each cluster's primary (created by <c>shardkit schema apply</c>,
/// <see cref="TwoDimensionOrderStore.EnsureSchemaAsync"/>, or on first use); expiry is judged by that server's clock.
/// Leases spread work, they do not guard correctness: the work they share is idempotent, so two instances briefly
/// working on one shard (a holder paused past its expiry) changes nothing but the cost.
/// </remarks>
public sealed class ShardLeaseOptions
{
    /// <summary>
    /// Whether the service takes leases. Default <see langword="true"/>. When <see langword="false"/>, every instance works
    /// on every user shard (one instance per deployment, or tools).
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long a lease lasts without renewal: the longest a dead instance's shards wait for another instance.
    /// Default 15 seconds; 1 second to 10 minutes.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How often the leases are renewed and the shards rebalanced among the live instances (one statement batch per
    /// cluster). Default 5 seconds; at least 100 milliseconds and at most half of <see cref="LeaseDuration"/>.
    /// </summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The instance's name in the lease table, at most 60 printable characters; default <c>machine:process-id</c>.
    /// A unique suffix is added, so two instances with the same name still hold distinct leases.
    /// </summary>
    public string? HolderName { get; set; }

    /// <summary>Every problem with the values, each naming the bad entry as <paramref name="path"/>.<c>Name</c>; empty when they are valid.</summary>
    /// <param name="path">Where these options sit, e.g. <c>OutboxRelayOptions.Leases</c>.</param>
    internal IEnumerable<string> Validate(string path)
    {
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromMinutes(10))
        {
            yield return Invariant($"{path}.{nameof(LeaseDuration)} is {LeaseDuration}; it must be from 1 second to 10 minutes.");
        }

        if (RenewInterval < TimeSpan.FromMilliseconds(100) || RenewInterval > LeaseDuration / 2)
        {
            yield return Invariant($"{path}.{nameof(RenewInterval)} is {RenewInterval}; it must be at least 100 ms and at most half of {nameof(LeaseDuration)} ({LeaseDuration}).");
        }

        if (HolderName is { } name && (name.Length is 0 or > 60 || name.Any(char.IsControl)))
        {
            yield return Invariant($"{path}.{nameof(HolderName)} must be 1 to 60 printable characters; got {name.Length} characters.");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

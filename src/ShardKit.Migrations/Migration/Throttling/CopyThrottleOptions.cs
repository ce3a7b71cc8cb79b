using System.Globalization;
using ShardKit.DependencyInjection;

namespace ShardKit.Migrations.Migration.Throttling;

/// <summary>
/// The limits of the one copy throttle every job uses (the legacy backfill and a shard move's copy): a copy chunk waits
/// while a replica of the clusters involved lags more than <see cref="MaxReplicaLag"/>, while a primary involved runs more
/// than <see cref="MaxThreadsRunning"/> threads, while the running writers report a 99th-percentile latency above
/// <see cref="MaxWriterP99"/>, and the copy never runs faster than <see cref="RowsPerSecond"/>.
/// </summary>
internal sealed class CopyThrottleOptions : IValidatedOptions
{
    /// <summary>The largest <see cref="MaxReplicaLag"/> accepted.</summary>
    public static readonly TimeSpan MaxReplicaLagLimit = TimeSpan.FromDays(1);

    /// <summary>The largest <see cref="MaxWriterP99"/> accepted.</summary>
    public static readonly TimeSpan MaxWriterP99Limit = TimeSpan.FromMinutes(1);

    /// <summary>The largest <see cref="MaxThreadsRunning"/> accepted.</summary>
    public const int MaxThreadsRunningLimit = 100_000;

    /// <summary>Wait while a replica of a cluster involved lags more than this (0 to 1 day); null: not checked. Default 5 seconds.</summary>
    public TimeSpan? MaxReplicaLag { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Wait while a primary involved reports more <c>Threads_running</c> than this (1 to 100,000); null: not checked. Default 32.</summary>
    public int? MaxThreadsRunning { get; init; } = 32;

    /// <summary>
    /// Wait while a running writer reports a 99th-percentile latency above this (more than zero, at most 1 minute); null (the
    /// default): not checked. Writers report it at every control poll (<c>shardkit_control.writers.latency_p99_ms</c>).
    /// </summary>
    public TimeSpan? MaxWriterP99 { get; init; }

    /// <summary>Copy at most this many rows per second (0, the default: no cap).</summary>
    public int RowsPerSecond { get; init; }

    /// <summary>How often the load is read at most (more than zero, at most 1 minute). Default 1 second.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the throttle waits before it reads the load again while a limit is exceeded (more than zero, at most 1 minute). Default 250 ms.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromMilliseconds(250);

    IEnumerable<string> IValidatedOptions.Validate()
    {
        const string Name = nameof(CopyThrottleOptions);
        if (MaxReplicaLag is { } lag && (lag < TimeSpan.Zero || lag > MaxReplicaLagLimit))
        {
            yield return Invariant($"{Name}.{nameof(MaxReplicaLag)} is {lag}; it must be from 0 to 1 day (or null to not check).");
        }

        if (MaxThreadsRunning is { } threads && (threads < 1 || threads > MaxThreadsRunningLimit))
        {
            yield return Invariant($"{Name}.{nameof(MaxThreadsRunning)} is {threads}; it must be from 1 to {MaxThreadsRunningLimit} (or null to not check).");
        }

        if (MaxWriterP99 is { } p99 && (p99 <= TimeSpan.Zero || p99 > MaxWriterP99Limit))
        {
            yield return Invariant($"{Name}.{nameof(MaxWriterP99)} is {p99}; it must be more than zero and at most 1 minute (or null to not check).");
        }

        if (RowsPerSecond < 0)
        {
            yield return Invariant($"{Name}.{nameof(RowsPerSecond)} is {RowsPerSecond}; it must be 0 (no cap) or more.");
        }

        if (CheckInterval <= TimeSpan.Zero || CheckInterval > TimeSpan.FromMinutes(1))
        {
            yield return Invariant($"{Name}.{nameof(CheckInterval)} is {CheckInterval}; it must be more than zero and at most 1 minute.");
        }

        if (Backoff <= TimeSpan.Zero || Backoff > TimeSpan.FromMinutes(1))
        {
            yield return Invariant($"{Name}.{nameof(Backoff)} is {Backoff}; it must be more than zero and at most 1 minute.");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

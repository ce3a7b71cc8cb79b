using ShardKit.Migrations.Migration.Throttling;

namespace ShardKit.Migrations.Migration;

/// <summary>How the migrator works: where the control schema is, how it copies, how it throttles.</summary>
internal sealed class MigratorOptions
{
    /// <summary>The cluster holding <c>shardkit_control</c>; the first when null.</summary>
    public string? ControlCluster { get; init; }

    /// <summary>
    /// Legacy rows per backfill chunk. Default 10,000: a chunk is written with a few statements per target schema whatever
    /// its size, so a larger chunk spreads their cost over more rows (measured in benchmarks/results, 2026-12-07); a smaller
    /// one holds the source's shared locks for less time.
    /// </summary>
    public int ChunkSize { get; init; } = 10_000;

    /// <summary>
    /// The backfill's throttle (replica lag of every cluster, <c>Threads_running</c> on the legacy server and every cluster
    /// primary, the writers' reported 99th percentile, a rows-per-second cap): the same throttle as a shard move's copy.
    /// </summary>
    public CopyThrottleOptions Throttle { get; init; } = new();

    /// <summary>How long an application instance may go without a heartbeat before it no longer counts as a running writer.</summary>
    public TimeSpan WriterTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <c>start</c> waits for every running writer to acknowledge.</summary>
    public TimeSpan AcknowledgeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How many times a cutover or rollback tries one bucket's switch (draining again in between) before it reports the bucket as
    /// not switched: a switch falls back when its fence is not free, or its pause would overrun the budget, within the budget.
    /// The shard mover's <c>CutoverAttempts</c> does the same for a shard.
    /// </summary>
    public int CutoverAttempts { get; init; } = 5;
}

using ShardKit.Migrations.Migration.Throttling;

namespace ShardKit.Migrations.Migration.Moves;

/// <summary>How the shard mover works: where the control schema is, how it copies and throttles, and how long a cutover may hold writers.</summary>
internal sealed class ShardMoverOptions
{
    /// <summary>The cluster holding <c>shardkit_control</c>; the first when null.</summary>
    public string? ControlCluster { get; init; }

    /// <summary>Rows per copy chunk.</summary>
    public int ChunkSize { get; init; } = 500;

    /// <summary>Captured changes per drain batch.</summary>
    public int DrainBatch { get; init; } = 1000;

    /// <summary>
    /// The copy's throttle (replica lag and <c>Threads_running</c> of the source and target clusters, the writers' reported
    /// 99th percentile, a rows-per-second cap): the same throttle as the legacy backfill's.
    /// </summary>
    public CopyThrottleOptions Throttle { get; init; } = new();

    /// <summary>How long a writer may go without a heartbeat in the control schema before its reported latency no longer counts.</summary>
    public TimeSpan WriterTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the cutover may hold the shard's writers: the whole pause they see, from the request for the fence lock until the
    /// placement override names the new cluster (the lock wait, the drain and comparison under the fence, and writing both fences
    /// and the placement). The switch writes all of that before it commits any of it and checks the time taken, plus what those
    /// writes took as the estimate of their commits, against this budget; over it, nothing is committed, the move falls back to
    /// COPY, drains again and retries (up to <see cref="CutoverAttempts"/>). The pause recorded for a move is this whole pause.
    /// </summary>
    public TimeSpan MaxPause { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many times a move tries the cutover (draining in between) before it reports the failure.</summary>
    public int CutoverAttempts { get; init; } = 5;
}

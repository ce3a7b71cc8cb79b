namespace ShardKit.Migrations.Migration.Moves;

/// <summary>How the shard mover works: where the control schema is, how it copies and how long a cutover may hold writers.</summary>
internal sealed class ShardMoverOptions
{
    /// <summary>The cluster holding <c>shardkit_control</c>; the first when null.</summary>
    public string? ControlCluster { get; init; }

    /// <summary>Rows per copy chunk.</summary>
    public int ChunkSize { get; init; } = 500;

    /// <summary>Captured changes per drain batch.</summary>
    public int DrainBatch { get; init; } = 1000;

    /// <summary>Copy at most this many rows per second (0: no limit).</summary>
    public int RowsPerSecond { get; init; }

    /// <summary>How long the cutover may hold the shard's writers; longer falls back to COPY and is retried.</summary>
    public TimeSpan MaxPause { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many times a move tries the cutover (draining in between) before it reports the failure.</summary>
    public int CutoverAttempts { get; init; } = 5;
}

namespace ShardKit.Migrations.Migration;

/// <summary>How the migrator works: where the control schema is, how it copies, how it throttles.</summary>
internal sealed class MigratorOptions
{
    /// <summary>The cluster holding <c>shardkit_control</c>; the first when null.</summary>
    public string? ControlCluster { get; init; }

    /// <summary>The order-ID worker ID of the migrator (IDs of legacy orders). Default 255; no application instance may use it.</summary>
    public int WorkerId { get; init; } = 255;

    /// <summary>Legacy rows per backfill chunk.</summary>
    public int ChunkSize { get; init; } = 500;

    /// <summary>Pause the backfill while the source reports more running threads than this.</summary>
    public int MaxThreadsRunning { get; init; } = 32;

    /// <summary>Pause the backfill while a target replica lags more than this.</summary>
    public TimeSpan MaxReplicaLag { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Pause the backfill while a running application instance reports a 99th-percentile operation latency above this
    /// (<see cref="MigratingOrderStore"/> reports it at every control poll); null: not checked.
    /// </summary>
    public TimeSpan? MaxApplicationLatency { get; init; }

    /// <summary>Copy at most this many rows per second (0: no limit).</summary>
    public int RowsPerSecond { get; init; }

    /// <summary>How long an application instance may go without a heartbeat before it no longer counts as a running writer.</summary>
    public TimeSpan WriterTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long <c>start</c> waits for every running writer to acknowledge.</summary>
    public TimeSpan AcknowledgeTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

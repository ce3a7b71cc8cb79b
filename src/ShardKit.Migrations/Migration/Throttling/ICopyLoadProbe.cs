namespace ShardKit.Migrations.Migration.Throttling;

/// <summary>Reads the load a copy must not add to; <see cref="ServerLoadProbe"/> reads it from the servers, tests give their own.</summary>
internal interface ICopyLoadProbe
{
    /// <summary>The largest replica lag of the clusters involved and the replica that has it (null when no replica answered).</summary>
    Task<(TimeSpan Lag, string? Where)> MaxReplicaLagAsync(CancellationToken cancellationToken);

    /// <summary>The highest <c>Threads_running</c> of the primaries involved and the server that has it.</summary>
    Task<(long Threads, string? Where)> MaxThreadsRunningAsync(CancellationToken cancellationToken);

    /// <summary>The highest 99th-percentile latency the running writers reported; null when none reported one.</summary>
    Task<TimeSpan?> WriterP99Async(CancellationToken cancellationToken);
}

namespace ShardKit.Ids;

/// <summary>Settings of an <see cref="OrderIdGenerator"/>.</summary>
public sealed class OrderIdGeneratorOptions
{
    /// <summary>
    /// The worker ID (0..255) of this generator instance, unique among all live instances. Leave it
    /// <see langword="null"/> when the worker ID comes from an <see cref="IWorkerIdLease"/>
    /// (for example <see cref="DatabaseWorkerIdLease"/>).
    /// </summary>
    public int? WorkerId { get; set; }

    /// <summary>
    /// How far the clock may go backwards before the generator fails instead of waiting for it to catch up.
    /// Within the bound, IDs keep being issued from the last tick while its sequence numbers last, then the
    /// caller waits; beyond it <see cref="OrderIdGenerator.Next"/> throws <see cref="ShardKitException"/>
    /// with <see cref="ShardKitErrorCode.IdGenerationFailed"/>. Default 1 second; at most 1 minute.
    /// </summary>
    public TimeSpan MaxClockRegression { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The number of shards per dimension (1..128); must match the topology's shard count. Default 120.</summary>
    public int ShardCount { get; set; } = ShardFunctions.DefaultShardCount;
}

using System.Globalization;

namespace ShardKit.Ids;

/// <summary>Settings of an <see cref="OrderIdGenerator"/>.</summary>
public sealed class OrderIdGeneratorOptions : IValidatedOptions
{
    /// <summary>
    /// The worker ID (0..254; 255 is the legacy import's) of this generator instance, unique among all live instances. Leave it
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

    // The entries are named as they are bound from configuration (the ShardKit:OrderIds section).
    IEnumerable<string> IValidatedOptions.Validate()
    {
        const string Section = "ShardKit:OrderIds:";
        if (WorkerId is { } workerId && workerId is < 0 or > OrderIdLayout.MaxLeasedWorkerId)
        {
            yield return Invariant($"{Section}{nameof(WorkerId)} must be between 0 and {OrderIdLayout.MaxLeasedWorkerId} (unique among live instances; {OrderIdLayout.LegacyWorkerId} is the legacy import's); got {workerId}.");
        }

        if (ShardCount is < 1 or > ShardFunctions.MaxShardCount)
        {
            yield return Invariant($"{Section}{nameof(ShardCount)} must be between 1 and {ShardFunctions.MaxShardCount}; got {ShardCount}.");
        }

        if (MaxClockRegression < TimeSpan.Zero || MaxClockRegression > TimeSpan.FromMinutes(1))
        {
            yield return Invariant($"{Section}{nameof(MaxClockRegression)} must be between 00:00:00 and 00:01:00; got {MaxClockRegression}.");
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

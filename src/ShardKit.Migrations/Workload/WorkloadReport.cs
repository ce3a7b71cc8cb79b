namespace ShardKit.Migrations.Workload;

/// <summary>
/// The result of a workload run: totals, each operation, the spread over shards, what failed, and (from the demo) the
/// state of the merchant copy at the end and the live migration that ran before the workload.
/// </summary>
internal sealed record WorkloadReport(
    string Target,
    double DurationSeconds,
    int Concurrency,
    double ReadRatio,
    long Operations,
    long Errors,
    double Throughput,
    IReadOnlyList<OperationReport> PerOperation,
    ShardDistribution Distribution,
    IReadOnlyList<ErrorSample> ErrorSamples,
    DimensionReport? Dimensions = null,
    Commands.MigrationDemoReport? Migration = null);

namespace ShardKit.Benchmarks.Migrations;

/// <summary>What the live traffic did during the shard moves: operations, errors, and the create p99 per 2-second window (median and worst).</summary>
internal sealed record LiveTrafficSummary(long Operations, long Errors, double OperationsPerSecond, double CreateP99MedianMs, double CreateP99WorstMs, IReadOnlyList<string> ErrorSamples);

namespace ShardKit.Benchmarks.Migrations;

/// <summary>The live writers' figures over one stretch of a run: writes, writes per second, p50, p99 and max latency in ms.</summary>
internal sealed record WriterLatency(int Writes, double PerSecond, double P50Ms, double P99Ms, double MaxMs);

namespace ShardKit.Migrations.Workload;

/// <summary>Throughput and latency of one operation over a run; latencies in milliseconds, of successful operations.</summary>
internal sealed record OperationReport(
    string Operation,
    long Count,
    long Errors,
    double Throughput,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    double MaxMs);

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// One way of the rebalance (2 → 4 or 4 → 2 clusters), as <c>move-shard plan --execute --parallel N</c> ran it: the moves, how
/// many switched, the most that ran at once (from their recorded start and finish), the total time, the pause of every cutover,
/// the writers' latency during it, and the load average just before and just after.
/// </summary>
internal sealed record RebalanceLeg(
    string Name, int Moves, int Switched, int MaxAtOnce, double Seconds, IReadOnlyList<double> PausesMs, WriterLatency Writers, string LoadBefore, string LoadAfter, int ExitCode, string? Failure);

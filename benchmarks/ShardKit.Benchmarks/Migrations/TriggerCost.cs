namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// Latencies (ms) of single-order writes on a user shard without the move's capture triggers and on one with them, measured
/// in alternating blocks over the same run.
/// </summary>
internal sealed record TriggerCost(int PlainShard, int CapturedShard, int Samples, string LoadBefore, string LoadAfter, IReadOnlyList<TriggerCostRow> Rows);

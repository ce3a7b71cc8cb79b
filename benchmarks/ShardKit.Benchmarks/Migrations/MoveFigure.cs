namespace ShardKit.Benchmarks.Migrations;

/// <summary>One shard move: the shard, its orders, what the mover copied and drained, the whole move timed, and the pause at its cutover.</summary>
internal sealed record MoveFigure(string Shard, Measured Move, long RowsCopied, long ChangesApplied, double PauseMs, bool Switched, bool StartedBefore);

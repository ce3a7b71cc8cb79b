namespace ShardKit.Benchmarks.Migrations;

/// <summary>One shard move: the shard, its orders, what the mover copied and drained, the whole move and its copy phase timed, and the pause at its cutover.</summary>
internal sealed record MoveFigure(string Shard, Measured Move, double CopySeconds, long RowsCopied, long ChangesApplied, double PauseMs, bool Switched, bool StartedBefore)
{
    /// <summary>Orders per second of the copy phase alone (the shard's orders, with their items and the shard's other tables, over the copy's time).</summary>
    public double CopyOrdersPerSecond => Move.Orders / Math.Max(CopySeconds, 1e-9);
}

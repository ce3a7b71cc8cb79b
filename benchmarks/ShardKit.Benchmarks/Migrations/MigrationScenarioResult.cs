namespace ShardKit.Benchmarks.Migrations;

/// <summary>Everything one scenario (one size, with or without live writes) measured and checked.</summary>
internal sealed record MigrationScenarioResult(
    int Orders,
    bool Live,
    IReadOnlyList<Measured> DumpBefore,
    IReadOnlyList<Measured> DumpAfter,
    Measured Backfill,
    long BackfillApplicationOperations,
    long BackfillApplicationErrors,
    int Lost,
    int Resurrected,
    int Different,
    bool BucketsEqual,
    bool DimensionsEqual,
    Measured Cutover,
    IReadOnlyList<double> BucketPausesMs,
    int BucketsRetried,
    TriggerCost? TriggerCost,
    IReadOnlyList<MoveFigure> Moves,
    LiveTrafficSummary? MoveTraffic,
    string BackfillProfile)
{
    /// <summary>
    /// The baseline of the scenario: the median rate of its dump | reload runs before the backfill, on settled servers holding
    /// what the backfill starts from. The runs after the cutover are a check, not part of it: by then `migrate plan` has given
    /// the legacy root table the import's columns and indexes (<c>shardkit_order_id</c> with a unique index, the virtual
    /// <c>shardkit_bucket</c> with an index), the dump carries them into the reload, and it costs the target twice the CPU.
    /// </summary>
    public double BaselineOrdersPerSecond => ShardKit.Migrations.Migration.MigrationWorkload.Percentile(DumpBefore.Select(d => d.OrdersPerSecond).ToList(), 0.5);

    /// <summary>The moves started from nothing (the first move's triggers were installed before the trigger probe, outside its timer).</summary>
    public IEnumerable<MoveFigure> TimedMoves => Moves.Where(m => !m.StartedBefore);

    public double MoverOrdersPerSecond => TimedMoves.Sum(m => m.Move.Orders) / Math.Max(TimedMoves.Sum(m => m.Move.Seconds), 1e-9);

    /// <summary>The copy phases alone: the moved shards' orders over the sum of their copy times (every move, the first included).</summary>
    public double MoverCopyOrdersPerSecond => Moves.Sum(m => m.Move.Orders) / Math.Max(Moves.Sum(m => m.CopySeconds), 1e-9);

    public double MoverRowsPerSecond => TimedMoves.Sum(m => m.RowsCopied) / Math.Max(TimedMoves.Sum(m => m.Move.Seconds), 1e-9);
}

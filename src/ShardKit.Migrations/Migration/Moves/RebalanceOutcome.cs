namespace ShardKit.Migrations.Migration.Moves;

/// <summary>
/// One move of a rebalance as it ran: the planned move, its cutover result (null when it failed before one), why it did not
/// switch, and when it started and finished (the scheduler's clock).
/// </summary>
internal sealed record RebalanceOutcome(PlannedMove Move, MoveCutoverResult? Result, string? Error, DateTimeOffset Started, DateTimeOffset Finished, bool Cancelled = false)
{
    /// <summary>Whether the shard now serves from its new cluster.</summary>
    public bool Switched => Result?.Switched == true;

    /// <summary>The whole move's time.</summary>
    public TimeSpan Elapsed => Finished - Started;

    /// <summary>The cutover result, or one that says the move failed (with <see cref="Error"/>).</summary>
    public MoveCutoverResult AsResult() => Result ?? new MoveCutoverResult(Move.Name, false, 0, 0, 0, Error);
}

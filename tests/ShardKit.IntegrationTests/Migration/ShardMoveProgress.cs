namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// What the databases show of a running <c>move-shard</c> command on one shard: its unit in <c>shardkit_control.units</c> (state, the
/// recorded command, rows copied, whether the copy is done) and, per cluster, the move's triggers and tables in the shard's schema
/// and whether the schema is there.
/// </summary>
internal sealed record ShardMoveProgress(string? State, string? Command, long RowsCopied, bool CopyDone, IReadOnlyDictionary<string, ShardMoveProgress.Side> Clusters)
{
    /// <summary>A live move (not COMPLETE) recorded for the shard.</summary>
    public bool Live => State is not (null or "COMPLETE");

    public bool Has(string command) => Command?.Contains($"\"{command}\"", StringComparison.Ordinal) == true;

    public override string ToString() =>
        $"state {State ?? "none"}, command {Command ?? "none"}, {RowsCopied} row(s) copied{(CopyDone ? " (done)" : "")}; " +
        string.Join("; ", Clusters.Select(c => $"{c.Key}: {c.Value}"));

    /// <summary>The shard's schema on one cluster: whether it exists, the move's triggers and tables in it.</summary>
    internal sealed record Side(bool Schema, int Triggers, int MoveTables)
    {
        public override string ToString() => Schema ? $"{Triggers} trigger(s), {MoveTables} move table(s)" : "no schema";
    }
}

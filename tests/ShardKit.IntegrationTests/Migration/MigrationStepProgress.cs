namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// What the databases show of a running <c>plan</c>, <c>reverse</c>, <c>rollback</c> or <c>complete</c>: the recorded command
/// and phase, the bucket rows and how many are MOVED or COMPLETE, how many user shards and whether the source have their
/// fence tables, and the changes logged on the shards for the reverse flow (-1 while some change table is missing).
/// </summary>
internal sealed record MigrationStepProgress(string? Command, string? Phase, int Buckets, int Moved, int Completed, int ShardsPrepared, bool SourcePrepared, long TargetChanges)
{
    public bool Has(string command) => Command?.Contains($"\"{command}\"", StringComparison.Ordinal) == true;

    public override string ToString() =>
        $"command {Command ?? "none"}, phase {Phase ?? "none"}, {Buckets} bucket row(s), {Moved} moved, {Completed} complete, {ShardsPrepared} shard(s) with a fence, source {(SourcePrepared ? "with" : "without")} a fence, {TargetChanges} change(s) logged on the shards";
}

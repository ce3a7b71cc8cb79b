namespace ShardKit.Migrations.Migration;

/// <summary>The whole migration as the control schema records it.</summary>
internal sealed record MigrationStatus(
    string Phase,
    long StateVersion,
    string Source,
    long BackfillCursor,
    long BackfillRows,
    bool BackfillDone,
    string? InterruptedCommand,
    IReadOnlyList<BucketStatus> Buckets,
    IReadOnlyList<WriterStatus> Writers);

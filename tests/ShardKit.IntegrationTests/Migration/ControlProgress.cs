namespace ShardKit.IntegrationTests.Migration;

/// <summary>What the control schema shows of a running migrator: its recorded command, the backfill checkpoint, how many buckets are MOVED and which are being switched.</summary>
internal sealed record ControlProgress(string? Command, long Cursor, int Moved, string? Switching)
{
    public override string ToString() => $"command {Command ?? "none"}, backfill cursor {Cursor}, {Moved} bucket(s) moved{(Switching is null ? "" : ", switching " + Switching)}";
}

namespace ShardKit.Migrations.Migration;

/// <summary>The outcome of switching one bucket: switched or not, the pause its writers saw, and why it fell back.</summary>
internal sealed record CutoverResult(int Bucket, bool Switched, double PauseMs, int Epoch, long ChangesDrained, string? Error);

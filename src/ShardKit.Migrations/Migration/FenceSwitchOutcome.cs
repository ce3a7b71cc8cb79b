namespace ShardKit.Migrations.Migration;

/// <summary>The outcome of one <see cref="FenceSwitch"/> attempt: switched or not (and why), the writers' pause, the epoch, changes drained under the fence.</summary>
internal sealed record FenceSwitchOutcome(bool Switched, double PauseMs, int Epoch, long ChangesDrained, string? Error);

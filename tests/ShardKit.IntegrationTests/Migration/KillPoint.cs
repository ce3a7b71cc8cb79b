namespace ShardKit.IntegrationTests.Migration;

/// <summary>When to SIGKILL a running <c>shardkit migrate</c> command: once the control schema shows <see cref="When"/>, after <see cref="DelayMs"/> more.</summary>
internal sealed record KillPoint(string Description, Func<ControlProgress, bool> When, int DelayMs);

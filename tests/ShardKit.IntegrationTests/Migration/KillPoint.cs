namespace ShardKit.IntegrationTests.Migration;

/// <summary>When to SIGKILL a running <c>shardkit</c> command: once the progress it leaves in the databases shows <see cref="When"/>, after <see cref="DelayMs"/> more.</summary>
internal sealed record KillPoint<TProgress>(string Description, Func<TProgress, bool> When, int DelayMs);

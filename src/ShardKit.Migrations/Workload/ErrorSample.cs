namespace ShardKit.Migrations.Workload;

/// <summary>One distinct failure message of a run and how often it occurred.</summary>
internal sealed record ErrorSample(string Message, long Count);

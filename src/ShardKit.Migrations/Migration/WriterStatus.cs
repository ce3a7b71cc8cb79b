namespace ShardKit.Migrations.Migration;

/// <summary>
/// One application instance in <c>migrate status</c>: the state version it acknowledged, how long ago it was last seen and
/// the 99th percentile of its operations' latency it last reported (null when it ran none).
/// </summary>
internal sealed record WriterStatus(string WriterId, long StateVersion, double SecondsSinceHeartbeat, string Host, double? LatencyP99Milliseconds);

namespace ShardKit.Migrations.Migration;

/// <summary>One application instance in <c>migrate status</c>: the state version it acknowledged and how long ago it was last seen.</summary>
internal sealed record WriterStatus(string WriterId, long StateVersion, double SecondsSinceHeartbeat, string Host);

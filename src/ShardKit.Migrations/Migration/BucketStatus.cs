namespace ShardKit.Migrations.Migration;

/// <summary>One bucket in <c>migrate status</c>.</summary>
internal sealed record BucketStatus(int Bucket, string State, int Epoch, long? SourceRows, long? TargetRows, DateTime? VerifiedAt, double? PauseMs, long PendingChanges, string? LastError);

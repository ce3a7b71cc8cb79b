namespace ShardKit.Migrations.Migration;

/// <summary>What <c>migrate plan</c> found and prepared.</summary>
internal sealed record PlanReport(string Source, long SourceOrders, long SourceItems, int Buckets, long MinBucketOrders, long MaxBucketOrders, IReadOnlyList<string> TargetClusters, string Phase);

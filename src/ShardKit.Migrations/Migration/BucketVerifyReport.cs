namespace ShardKit.Migrations.Migration;

/// <summary>The verification of one bucket: count and checksum on both sides, and the orders that differed.</summary>
internal sealed record BucketVerifyReport(int Bucket, long SourceCount, long TargetCount, string SourceChecksum, string TargetChecksum, IReadOnlyList<RowDifference> Differences)
{
    public bool Equal => SourceCount == TargetCount && SourceChecksum == TargetChecksum;
}

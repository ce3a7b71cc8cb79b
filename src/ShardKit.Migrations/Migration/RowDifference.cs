namespace ShardKit.Migrations.Migration;

/// <summary>One order that differs between the source and the target: <c>MissingOnTarget</c>, <c>ExtraOnTarget</c> or <c>Different</c>.</summary>
internal sealed record RowDifference(long OrderId, string Kind, long? SourceVersion, long? TargetVersion, bool Repaired);

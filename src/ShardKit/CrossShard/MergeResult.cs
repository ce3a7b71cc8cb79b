namespace ShardKit.CrossShard;

/// <summary>The rows of a merged page, the sort key of its last row, and whether any row follows.</summary>
internal sealed record MergeResult<T>(List<T> Rows, object?[]? LastKey, bool More);

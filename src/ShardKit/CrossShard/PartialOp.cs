namespace ShardKit.CrossShard;

/// <summary>How one column of a shard's partial aggregate combines with the same column from other shards.</summary>
internal enum PartialOp
{
    /// <summary>A COUNT: added; 0 when absent.</summary>
    AddCount,

    /// <summary>A SUM: added, NULLs skipped; NULL when every part is NULL.</summary>
    AddSum,

    /// <summary>A MIN: the least non-NULL value.</summary>
    Min,

    /// <summary>A MAX: the greatest non-NULL value.</summary>
    Max,
}

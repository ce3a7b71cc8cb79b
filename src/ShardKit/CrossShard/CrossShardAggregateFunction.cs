namespace ShardKit.CrossShard;

/// <summary>An aggregate function of a <see cref="CrossShardAggregateQuery"/>.</summary>
public enum CrossShardAggregateFunction
{
    /// <summary><c>COUNT(*)</c>, or <c>COUNT(column)</c> (the non-null values); a <see cref="long"/>, 0 over no rows.</summary>
    Count = 0,

    /// <summary><c>SUM(column)</c> of a numeric column; a <see cref="decimal"/>, null over no non-null values.</summary>
    Sum = 1,

    /// <summary><c>MIN(column)</c> of a numeric or date column; the column's type, null over no non-null values.</summary>
    Min = 2,

    /// <summary><c>MAX(column)</c> of a numeric or date column; the column's type, null over no non-null values.</summary>
    Max = 3,

    /// <summary>
    /// <c>AVG(column)</c> of a numeric column, computed as the sum of every shard's SUM divided by the sum of their COUNTs;
    /// a <see cref="decimal"/> (with more digits than the server's own AVG), null over no non-null values.
    /// </summary>
    Avg = 4,
}

namespace ShardKit.CrossShard;

/// <summary>One group of a <see cref="CrossShardAggregateResult"/>.</summary>
public sealed class CrossShardAggregateRow
{
    internal CrossShardAggregateRow(IReadOnlyList<object?> keys, IReadOnlyList<object?> values)
    {
        Keys = keys;
        Values = values;
    }

    /// <summary>
    /// The group's values of the <see cref="CrossShardAggregateQuery.GroupBy"/> columns, in their order
    /// (<see cref="long"/>, <see cref="decimal"/>, <see cref="double"/>, <see cref="DateTime"/>, <see cref="TimeSpan"/> or
    /// <see cref="string"/>); empty without GROUP BY.
    /// </summary>
    public IReadOnlyList<object?> Keys { get; }

    /// <summary>
    /// The aggregates, in the order of <see cref="CrossShardAggregateQuery.Aggregates"/>: a <see cref="long"/> for COUNT,
    /// a <see cref="decimal"/> for SUM and AVG (a <see cref="double"/> over a DOUBLE or FLOAT column), the column's type for
    /// MIN and MAX (a <see cref="string"/> for a string column); null where SQL gives NULL.
    /// </summary>
    public IReadOnlyList<object?> Values { get; }
}

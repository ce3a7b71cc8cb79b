namespace ShardKit.CrossShard;

/// <summary>One aggregate of a <see cref="CrossShardAggregateQuery"/>: a function and the column it applies to.</summary>
/// <param name="Function">The function.</param>
/// <param name="Column">The column of the <c>orders</c> table, or <see langword="null"/> for <c>COUNT(*)</c>.</param>
public sealed record CrossShardAggregate(CrossShardAggregateFunction Function, string? Column)
{
    /// <summary><c>COUNT(*)</c>.</summary>
    public static CrossShardAggregate Count() => new(CrossShardAggregateFunction.Count, null);

    /// <summary><c>COUNT(column)</c>.</summary>
    /// <param name="column">The column.</param>
    public static CrossShardAggregate Count(string column) => new(CrossShardAggregateFunction.Count, column);

    /// <summary><c>SUM(column)</c>.</summary>
    /// <param name="column">A numeric column.</param>
    public static CrossShardAggregate Sum(string column) => new(CrossShardAggregateFunction.Sum, column);

    /// <summary><c>MIN(column)</c>.</summary>
    /// <param name="column">A numeric or date column.</param>
    public static CrossShardAggregate Min(string column) => new(CrossShardAggregateFunction.Min, column);

    /// <summary><c>MAX(column)</c>.</summary>
    /// <param name="column">A numeric or date column.</param>
    public static CrossShardAggregate Max(string column) => new(CrossShardAggregateFunction.Max, column);

    /// <summary><c>AVG(column)</c>.</summary>
    /// <param name="column">A numeric column.</param>
    public static CrossShardAggregate Avg(string column) => new(CrossShardAggregateFunction.Avg, column);

    /// <summary>Returns for example <c>SUM(total_amount)</c>.</summary>
    public override string ToString() => $"{Function.ToString().ToUpperInvariant()}({Column ?? "*"})";
}

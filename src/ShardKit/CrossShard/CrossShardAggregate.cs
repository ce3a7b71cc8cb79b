namespace ShardKit.CrossShard;

/// <summary>One aggregate of a <see cref="CrossShardAggregateQuery"/>: a function and the column it applies to.</summary>
/// <param name="Function">The function.</param>
/// <param name="Column">The column of the query's table, or <see langword="null"/> for <c>COUNT(*)</c>.</param>
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

    /// <summary><c>MIN(column)</c>; strings compare by their UTF-8 bytes, as they sort.</summary>
    /// <param name="column">A number, date, time or string column.</param>
    public static CrossShardAggregate Min(string column) => new(CrossShardAggregateFunction.Min, column);

    /// <summary><c>MAX(column)</c>; strings compare by their UTF-8 bytes, as they sort.</summary>
    /// <param name="column">A number, date, time or string column.</param>
    public static CrossShardAggregate Max(string column) => new(CrossShardAggregateFunction.Max, column);

    /// <summary><c>AVG(column)</c>.</summary>
    /// <param name="column">A numeric column.</param>
    public static CrossShardAggregate Avg(string column) => new(CrossShardAggregateFunction.Avg, column);

    /// <summary>Returns for example <c>SUM(total_amount)</c>.</summary>
    public override string ToString() => $"{Function.ToString().ToUpperInvariant()}({Column ?? "*"})";
}

namespace ShardKit.Tables;

/// <summary>What <see cref="TableModelChecker.CheckAsync"/> found on the shards.</summary>
public sealed class TableCheckResult
{
    internal TableCheckResult(IReadOnlyList<TableProblem> problems, IReadOnlyList<string> unreachableClusters, IReadOnlyDictionary<(ShardDimension, string), IReadOnlyList<ColumnShape>> shapes, int shardsChecked)
    {
        Problems = problems;
        UnreachableClusters = unreachableClusters;
        Shapes = shapes;
        ShardsChecked = shardsChecked;
    }

    /// <summary>Every problem found; empty when every shard holds the declared tables, all of one shape per dimension.</summary>
    public IReadOnlyList<TableProblem> Problems { get; }

    /// <summary>The clusters whose primary could not be reached (their shards were not checked).</summary>
    public IReadOnlyList<string> UnreachableClusters { get; }

    /// <summary>How many shards were read.</summary>
    public int ShardsChecked { get; }

    /// <summary>Whether the model holds on every shard that was checked and every cluster was reached.</summary>
    public bool IsValid => Problems.Count == 0;

    /// <summary>The shape most shards of each dimension have for each declared table (the shape the others are compared with).</summary>
    public IReadOnlyDictionary<(ShardDimension Dimension, string Table), IReadOnlyList<ColumnShape>> Shapes { get; }

    /// <summary>The columns of <paramref name="table"/> on <paramref name="dimension"/>'s shards, or <see langword="null"/> when it was not read.</summary>
    public IReadOnlyList<ColumnShape>? GetColumns(ShardDimension dimension, string table) =>
        Shapes.TryGetValue((dimension, table), out var columns) ? columns : null;
}

namespace ShardKit.CrossShard;

/// <summary>The merged result of a <see cref="CrossShardAggregateQuery"/>.</summary>
public sealed class CrossShardAggregateResult
{
    internal CrossShardAggregateResult(IReadOnlyList<CrossShardAggregateRow> rows, IReadOnlyList<ShardRoute> missingShards)
    {
        Rows = rows;
        MissingShards = missingShards;
    }

    /// <summary>
    /// One row per group, ordered by the group keys ascending (strings by their bytes); without GROUP BY exactly one row,
    /// as SQL returns (COUNT 0 and the other aggregates null when no row matched).
    /// </summary>
    public IReadOnlyList<CrossShardAggregateRow> Rows { get; }

    /// <summary>The logical shards that did not answer (empty unless the query used <see cref="PartialResultPolicy.ReturnPartial"/>).</summary>
    public IReadOnlyList<ShardRoute> MissingShards { get; }

    /// <summary>Whether some shards did not answer (<see cref="MissingShards"/> is not empty).</summary>
    public bool IsPartial => MissingShards.Count > 0;
}

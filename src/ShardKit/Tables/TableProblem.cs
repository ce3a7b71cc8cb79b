namespace ShardKit.Tables;

/// <summary>One way the shards' tables disagree with the declared <see cref="TableModel"/> or with each other.</summary>
/// <param name="Shard">The shard (<c>user:17</c>), or <see langword="null"/> when the problem is a cluster's (unreachable).</param>
/// <param name="Table">The declared table, or <see langword="null"/>.</param>
/// <param name="Column">The column, or <see langword="null"/>.</param>
/// <param name="Message">What is wrong, naming the shard, its cluster and schema, the table and the column.</param>
public sealed record TableProblem(string? Shard, string? Table, string? Column, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Message;
}

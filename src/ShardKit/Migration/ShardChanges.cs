namespace ShardKit.Migration;

/// <summary>
/// The keys of table <paramref name="Table"/> that one batch of a shard's change table logged (<see cref="ShardChangeDrain"/>),
/// each once, as the triggers log them (a JSON array) turned back into values: the primary key for a move, <c>[order_id]</c> for
/// the import's reverse flow.
/// </summary>
internal sealed record ShardChanges(string Table, IReadOnlyList<object?[]> Keys);

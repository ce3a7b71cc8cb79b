namespace ShardKit.Orders;

/// <summary>What one <see cref="OutboxRelay.DrainAsync"/> pass did.</summary>
public sealed class OutboxDrainResult
{
    /// <summary>Outbox entries marked applied.</summary>
    public required long Applied { get; init; }

    /// <summary>Orders whose apply failed in this pass; their entries wait for a later attempt.</summary>
    public required long Failed { get; init; }

    /// <summary>User shards whose outbox could not be read (for example <c>user:17</c>).</summary>
    public required IReadOnlyList<string> UnavailableShards { get; init; }

    /// <summary>Whether the pass applied every due entry it found and reached every shard.</summary>
    public bool Complete => Failed == 0 && UnavailableShards.Count == 0;
}

namespace ShardKit.Replication;

/// <summary>How far one user shard's merchant copies are behind: its pending outbox entries and the age of the oldest.</summary>
public sealed class ShardLag
{
    /// <summary>The user shard, for example <c>user:17</c>.</summary>
    public required string Shard { get; init; }

    /// <summary>Outbox entries not yet applied to the merchant dimension.</summary>
    public required long Pending { get; init; }

    /// <summary>The age of the oldest pending entry; zero when nothing is pending (or the shard could not be read).</summary>
    public required TimeSpan Lag { get; init; }

    /// <summary>Why the shard could not be measured, or <see langword="null"/>.</summary>
    public string? Error { get; init; }
}

namespace ShardKit.Schema;

/// <summary>What happened to one logical shard during <see cref="SchemaApplier.ApplyAsync"/>.</summary>
public enum SchemaShardStatus
{
    /// <summary>The script ran on the shard and was recorded in the cluster's schema log.</summary>
    Applied = 0,

    /// <summary>The schema log shows the same script already applied to the shard; nothing ran.</summary>
    Skipped = 1,

    /// <summary>The script failed on the shard (or its cluster was unreachable); see <see cref="SchemaShardResult.Error"/>.</summary>
    Failed = 2,

    /// <summary>The roll-out stopped at a failure (or was interrupted) before this shard; nothing ran on it.</summary>
    NotStarted = 3,
}

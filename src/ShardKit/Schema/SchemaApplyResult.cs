namespace ShardKit.Schema;

/// <summary>The outcome of <see cref="SchemaApplier.ApplyAsync"/> over all the selected shards.</summary>
public sealed class SchemaApplyResult
{
    internal SchemaApplyResult(string checksum, IReadOnlyList<SchemaShardResult> shards, TimeSpan elapsed = default, IReadOnlyList<string>? algorithms = null)
    {
        Algorithms = algorithms ?? [];
        Elapsed = elapsed;
        NotStarted = shards.Count(s => s.Status == SchemaShardStatus.NotStarted);
        Checksum = checksum;
        Shards = shards;
        Applied = shards.Count(s => s.Status == SchemaShardStatus.Applied);
        Skipped = shards.Count(s => s.Status == SchemaShardStatus.Skipped);
        Failed = shards.Count(s => s.Status == SchemaShardStatus.Failed);
    }

    /// <summary>The SHA-256 (hex) of the script, the key under which shards are recorded as done.</summary>
    public string Checksum { get; }

    /// <summary>One result per selected shard, user shards first, each dimension in shard order.</summary>
    public IReadOnlyList<SchemaShardResult> Shards { get; }

    /// <summary>The number of shards the script ran on.</summary>
    public int Applied { get; }

    /// <summary>The number of shards skipped because the script was already applied to them.</summary>
    public int Skipped { get; }

    /// <summary>The number of shards that failed.</summary>
    public int Failed { get; }

    /// <summary>The number of shards not started because the roll-out stopped at a failure.</summary>
    public int NotStarted { get; }

    /// <summary>
    /// How each table change ran, per dimension, as the shards of this run settled it: for example
    /// <c>user: statement 1 (ALTER TABLE {orders} ADD COLUMN note ...) ran with ALGORITHM=INSTANT</c>. Statements the
    /// online rules run as written (and changes no shard of this run reached) are not listed.
    /// </summary>
    public IReadOnlyList<string> Algorithms { get; }

    /// <summary>How long the whole roll-out took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Whether every shard was applied or skipped (none failed, none left out).</summary>
    public bool Succeeded => Failed == 0 && NotStarted == 0;
}

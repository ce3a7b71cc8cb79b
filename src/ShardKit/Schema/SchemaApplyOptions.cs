using System.Globalization;

namespace ShardKit.Schema;

/// <summary>What <see cref="SchemaApplier.ApplyAsync"/> applies, where, and how many shards at a time.</summary>
public sealed class SchemaApplyOptions : IValidatedOptions
{
    /// <summary>
    /// The DDL to run on every shard, statements separated by <c>;</c>, with the placeholders <c>{schema}</c>,
    /// <c>{orders}</c> and <c>{order_items}</c>. <see langword="null"/> applies the built-in schema of each shard's dimension (<see cref="SchemaApplier.GetBuiltInScript"/>).
    /// A crash between a shard's DDL and its log record makes a re-run apply that one shard again; there, an error saying
    /// the change is already there (duplicate column or key, table exists, nothing to drop) counts as done.
    /// </summary>
    public string? Script { get; set; }

    /// <summary>The dimensions to apply to; both by default.</summary>
    public IReadOnlyList<ShardDimension> Dimensions { get; set; } = [ShardDimension.User, ShardDimension.Merchant];

    /// <summary>How many shards each wave after the canary works on at once, 1 to 64. Default 4.</summary>
    public int Parallelism { get; set; } = 4;

    /// <summary>
    /// Whether a table change the server can do neither instantly nor in place without a lock (it would copy the table
    /// or block writes) runs anyway, as written. Default false: such a statement fails its shard with the server's reason.
    /// </summary>
    public bool AllowBlocking { get; set; }

    /// <summary>
    /// The replica lag beyond which the roll-out waits before its next wave (checked on every replica of the clusters the
    /// wave touches); <see langword="null"/> does not check. Default 5 seconds; at least 1 second when set.
    /// </summary>
    public TimeSpan? MaxReplicaLag { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the first failed shard stops the roll-out: the running wave finishes and no new shard starts (reported as
    /// <see cref="SchemaShardStatus.NotStarted"/>). Default true; false tries every shard and reports each failure.
    /// </summary>
    public bool StopAtFirstFailure { get; set; } = true;

    /// <summary>Called with a description of the lagging replicas each time the roll-out waits for them (about once a second).</summary>
    public Action<string>? OnReplicaLagWait { get; set; }

    IEnumerable<string> IValidatedOptions.Validate()
    {
        const string Name = nameof(SchemaApplyOptions);
        if (Parallelism is < 1 or > SchemaApplier.MaxParallelism)
        {
            yield return Invariant($"{Name}.{nameof(Parallelism)} is {Parallelism}; it must be from 1 to {SchemaApplier.MaxParallelism}.");
        }

        if (MaxReplicaLag is { } lag && lag < TimeSpan.FromSeconds(1))
        {
            yield return Invariant($"{Name}.{nameof(MaxReplicaLag)} is {lag}; it must be at least 1 second (or null to not check).");
        }

        if (Dimensions is null || Dimensions.Count == 0)
        {
            yield return $"{Name}.{nameof(Dimensions)} is empty; choose User, Merchant or both.";
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

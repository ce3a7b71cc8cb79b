using System.Globalization;

namespace ShardKit.Schema;

/// <summary>What <see cref="SchemaApplier.ApplyAsync"/> applies, where, and how many shards at a time.</summary>
public sealed class SchemaApplyOptions : IValidatedOptions
{
    /// <summary>
    /// The DDL to run on every shard, statements separated by <c>;</c>, with the placeholders <c>{schema}</c>,
    /// <c>{orders}</c> and <c>{order_items}</c>. <see langword="null"/> applies the built-in schema of each shard's dimension (<see cref="SchemaApplier.GetBuiltInScript"/>).
    /// Scripts should be idempotent (<c>IF NOT EXISTS</c>): a crash between a shard's DDL and its log
    /// record makes a re-run apply that one shard again.
    /// </summary>
    public string? Script { get; set; }

    /// <summary>The dimensions to apply to; both by default.</summary>
    public IReadOnlyList<ShardDimension> Dimensions { get; set; } = [ShardDimension.User, ShardDimension.Merchant];

    /// <summary>How many shards are worked on at once, 1 to 64. Default 4.</summary>
    public int Parallelism { get; set; } = 4;

    IEnumerable<string> IValidatedOptions.Validate()
    {
        const string Name = nameof(SchemaApplyOptions);
        if (Parallelism is < 1 or > SchemaApplier.MaxParallelism)
        {
            yield return Invariant($"{Name}.{nameof(Parallelism)} is {Parallelism}; it must be from 1 to {SchemaApplier.MaxParallelism}.");
        }

        if (Dimensions is null || Dimensions.Count == 0)
        {
            yield return $"{Name}.{nameof(Dimensions)} is empty; choose User, Merchant or both.";
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

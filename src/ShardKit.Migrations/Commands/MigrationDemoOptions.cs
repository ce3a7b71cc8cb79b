namespace ShardKit.Migrations.Commands;

/// <summary>The size of the live migration demo.</summary>
internal sealed class MigrationDemoOptions
{
    /// <summary>Orders of history in the legacy database.</summary>
    public int LegacyOrders { get; init; } = 5000;

    /// <summary>Logical shards per dimension (buckets); 120 in production.</summary>
    public int ShardCount { get; init; } = ShardFunctions.DefaultShardCount;

    /// <summary>Application writers running through the migration.</summary>
    public int Writers { get; init; } = 4;

    /// <summary>Pause between one writer's operations.</summary>
    public TimeSpan ThinkTime { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Also time a plain <c>mariadb-dump | mariadb</c> reload of the same legacy data, as the baseline.</summary>
    public bool MeasureDumpReload { get; init; } = true;
}

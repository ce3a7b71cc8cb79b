namespace ShardKit.Migrations.Migration;

/// <summary>The jobs whose units <see cref="UnitStore"/> keeps in <c>shardkit_control.units</c>; they never run at once.</summary>
internal enum MigrationJob
{
    /// <summary>The legacy import (<c>shardkit migrate</c>): one unit per bucket, its user shard.</summary>
    Import,

    /// <summary>Shard moves (<c>shardkit move-shard</c>, rebalance): one unit per moved shard of either dimension.</summary>
    Move,
}

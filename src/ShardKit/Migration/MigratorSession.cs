namespace ShardKit.Migration;

/// <summary>
/// The one session mark of every migration job (the legacy import, shard moves, rebalancing): every session of the
/// migrator's data source (<see cref="ShardKitDataSourceBuilder.UseMigratorSessions"/>) runs <see cref="Statement"/> when it
/// is opened or reset, and every capture trigger of every job lets a marked session's writes pass unfenced and unlogged
/// (<see cref="Unmarked"/>): the migrator's copies and drains are the writes the fences keep everyone else from.
/// </summary>
internal static class MigratorSession
{
    /// <summary>Marks the session as the migrator's.</summary>
    public const string Statement = "SET @`shardkit_apply` = 1";

    /// <summary>A trigger's SQL condition: true for every session but the migrator's.</summary>
    public const string Unmarked = "IFNULL(@`shardkit_apply`, 0) <> 1";

    /// <summary>Whether <paramref name="dataSource"/> is a migrator's.</summary>
    public static bool Marks(ShardKitDataSource dataSource) => dataSource.SessionStatement == Statement;
}

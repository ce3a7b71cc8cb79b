using System.Globalization;
using System.Text;
using Dapper;
using ShardKit.Migration;
using ShardKit.Migrations.Migration;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The part of a migration's end state that does not depend on timing: the phase, the interrupted command, whether the
/// backfill is done, and per bucket its state, epoch and last error, both fences and the changes still logged on
/// each side (once complete: the tables left on each side). Two runs of the same migration (one interrupted, one not) must end with equal snapshots.
/// </summary>
internal static class ControlSnapshot
{
    public static async Task<string> ReadAsync(MigrationTopology topology)
    {
        using var migrator = topology.NewMigrator();
        var status = await migrator.StatusAsync(CancellationToken.None);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"phase {status.Phase}, interrupted command {status.InterruptedCommand ?? "none"}, backfill {(status.BackfillDone ? "done" : "not done")}");
        if (status.Phase == "COMPLETE")
        {
            return await DescribeCompletedAsync(topology, status, text);
        }

        var source = new LegacySource(LegacySeed.Database, topology.Shards.Map);
        foreach (var bucket in status.Buckets)
        {
            FenceState sourceFence;
            FenceState targetFence;
            await using (var side = await FenceSide.OpenAsync(topology.Shards, source, bucket.Bucket, Authority.Source, CancellationToken.None))
            {
                sourceFence = await side.ReadAsync(CancellationToken.None);
            }

            await using (var side = await FenceSide.OpenAsync(topology.Shards, source, bucket.Bucket, Authority.Target, CancellationToken.None))
            {
                targetFence = await side.ReadAsync(CancellationToken.None);
            }

            long targetChanges;
            await using (var shard = await topology.Shards.OpenAsync(topology.Shards.Map.GetRoute(ShardDimension.User, bucket.Bucket), ShardIntent.Write))
            {
                targetChanges = await shard.Connection.ExecuteScalarAsync<long>(shard.Sql(ShardFence.CountChangesSql("{schema}")));
            }

            text.AppendLine(CultureInfo.InvariantCulture,
                $"bucket {bucket.Bucket}: {bucket.State} epoch {bucket.Epoch}, error {bucket.LastError ?? "none"}, source fence {Describe(sourceFence)}, target fence {Describe(targetFence)}, changes logged: {bucket.PendingChanges} on the source, {targetChanges} on the target");
        }

        return text.ToString();
    }

    /// <summary>A completed migration has no fences or change tables left: per bucket its state, epoch, error and the migration tables left on its shard; the source's tables.</summary>
    private static async Task<string> DescribeCompletedAsync(MigrationTopology topology, MigrationStatus status, StringBuilder text)
    {
        foreach (var bucket in status.Buckets)
        {
            var route = topology.Shards.Map.GetRoute(ShardDimension.User, bucket.Bucket);
            await using var shard = await topology.Shards.OpenAsync(route, ShardIntent.Write);
            var left = await shard.Connection.QueryAsync<string>(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = @Schema AND table_name LIKE 'shardkit%' ORDER BY table_name", new { route.Schema });
            text.AppendLine(CultureInfo.InvariantCulture,
                $"bucket {bucket.Bucket}: {bucket.State} epoch {bucket.Epoch}, error {bucket.LastError ?? "none"}, migration tables left on its shard: {string.Join(", ", left.DefaultIfEmpty("none"))}");
        }

        var tables = await topology.Legacy.QueryScalarAsync(
            $"SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.tables WHERE table_schema = '{LegacySeed.Database}'");
        text.AppendLine(CultureInfo.InvariantCulture, $"source tables: {tables}");
        return text.ToString();
    }

    private static string Describe(FenceState fence) =>
        FormattableString.Invariant($"{FenceState.NameOf(fence.Authority)}/{(fence.Capture ? "capture" : "no capture")}/epoch {fence.Epoch}");
}

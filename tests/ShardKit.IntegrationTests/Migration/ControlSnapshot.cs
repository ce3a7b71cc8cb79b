using System.Globalization;
using System.Text;
using Dapper;
using ShardKit.Migration;
using ShardKit.Migrations.Migration;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The part of a migration's end state that does not depend on timing: the phase, the interrupted command, whether the
/// backfill is done, and per bucket its state, epoch and last error, both fences and the changes still logged on
/// each side. Two runs of the same migration (one interrupted, one not) must end with equal snapshots.
/// </summary>
internal static class ControlSnapshot
{
    public static async Task<string> ReadAsync(MigrationTopology topology)
    {
        using var migrator = topology.NewMigrator();
        var status = await migrator.StatusAsync(CancellationToken.None);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"phase {status.Phase}, interrupted command {status.InterruptedCommand ?? "none"}, backfill {(status.BackfillDone ? "done" : "not done")}");
        var source = new LegacySource(LegacySeed.Database);
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
                targetChanges = await shard.Connection.ExecuteScalarAsync<long>(shard.Sql(TargetShard.CountChanges));
            }

            text.AppendLine(CultureInfo.InvariantCulture,
                $"bucket {bucket.Bucket}: {bucket.State} epoch {bucket.Epoch}, error {bucket.LastError ?? "none"}, source fence {Describe(sourceFence)}, target fence {Describe(targetFence)}, changes logged: {bucket.PendingChanges} on the source, {targetChanges} on the target");
        }

        return text.ToString();
    }

    private static string Describe(FenceState fence) =>
        FormattableString.Invariant($"{FenceState.NameOf(fence.Authority)}/{(fence.Capture ? "capture" : "no capture")}/epoch {fence.Epoch}");
}

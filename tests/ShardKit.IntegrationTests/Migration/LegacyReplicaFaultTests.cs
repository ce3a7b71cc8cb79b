using System.Globalization;
using ShardKit.Migration;
using ShardKit.Migrations.Migration;
using ShardKit.Testing;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The legacy import's backfill reads its chunks from a GTID replica of the legacy server (<c>ShardKit:LegacyReplicas</c>),
/// through the real <c>shardkit</c> CLI under application writers; the replica is killed with SIGKILL mid-copy.
/// </summary>
[Collection("MigrationFaults")]
public sealed class LegacyReplicaFaultTests(ITestOutputHelper output)
{
    private const int LegacyOrders = 300;

    /// <summary>The oldest orders, changed on the legacy primary while the replica lagged (before capture).</summary>
    private const int ChangedBeforeCapture = 60;

    [Fact]
    public async Task ALegacyReplicaKilledMidCopyLeavesTheRestOfTheBackfillToThePrimaryAndLosesNothing()
    {
        await using var run = await MigrationFaultRun.StartAsync("legacy replica kill", LegacyOrders, replicas: 0, output, legacyReplicas: 1);
        var replica = run.Topology.Topology.LegacyReplicas[0];
        await replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));

        // The replica lags: it has not applied the writes made before capture, among them changes to the oldest orders (the
        // first chunks). A copy of those chunks from the replica as it is would be stale, and no logged change would fix it.
        await replica.PauseReplicationAsync();
        run.StartTraffic(writers: 2);
        await run.Topology.Legacy.ExecuteAsync($"""
            UPDATE `{LegacySeed.Database}`.`orders` SET total_amount = total_amount + 1 WHERE order_id <= {ChangedBeforeCapture};
            UPDATE `{LegacySeed.Database}`.`order_items` SET quantity = quantity + 1 WHERE order_id <= {ChangedBeforeCapture};
            """);
        await Task.Delay(200);
        Assert.Equal(0, (await run.RunCliAsync("start")).Exit);

        // The copy reads from the replica: its SELECT count grows by the chunk reads (nothing else reads it; replication applies rows, not statements).
        var selectsBefore = await SelectsAsync(replica);
        var backfill = run.StartCli("backfill", "--chunk-size", "10", "--rows-per-second", "50", "--json");

        // Replication resumes once the backfill waits for the primary's position on the replica (or, were there no wait, after
        // the first chunks were read from the stale replica).
        var waited = await ResumeWhenWaitedOnAsync(run, replica, backfill);
        run.Write(waited ? $"the backfill waited on {replica.Name} for the primary's position; replication resumed" : $"the backfill read from {replica.Name} without waiting; replication resumed");
        await WaitForCursorAsync(run, backfill, LegacyOrders / 4);
        var selectsAtKill = await SelectsAsync(replica);
        await replica.KillAsync();
        var atKill = await run.ProgressAsync();
        run.Write($"SIGKILL {replica.Name} during the backfill at {atKill}; {selectsAtKill - selectsBefore - 1} SELECTs ran on it since the backfill began");
        Assert.True(waited, $"the backfill read from {replica.Name} without waiting for the primary's GTID position\n{backfill.Error}\n{run.Log}");
        Assert.True(selectsAtKill - selectsBefore > 10, $"the backfill did not read from {replica.Name}: {selectsAtKill - selectsBefore - 1} SELECTs\n{backfill.Error}\n{run.Log}");
        Assert.True(atKill.Cursor < LegacyOrders, $"the backfill had copied the seeded history before {replica.Name} was killed ({atKill})\n{run.Log}");

        // The rest of the history comes from the primary; the backfill says so and finishes.
        var exit = await backfill.WaitForExitAsync(MigrationFaultRun.CommandTimeout);
        run.Write($"`{backfill.CommandLine}` exited {exit}: {MigrationFaultRun.OneLine(backfill.Error)}");
        Assert.True(exit == 0, $"the backfill stopped when the legacy replica died: {backfill.Error} {backfill.Output}\n{run.Log}");
        Assert.Contains("legacy replica 0", backfill.Error, StringComparison.Ordinal);
        Assert.Contains("chunks are read from it", backfill.Error, StringComparison.Ordinal);
        Assert.Contains("reading from the primary", backfill.Error, StringComparison.Ordinal);

        // Before the cutover (whose verify would repair them): every order changed before capture and untouched since is
        // on the shards as the legacy primary has it, not as the lagging replica had it.
        var stale = await StaleCopiesAsync(run);
        run.Write($"{stale.Count} stale cop(ies) of the {ChangedBeforeCapture} orders changed before capture");
        Assert.True(stale.Count == 0, $"{stale.Count} order(s) copied from the replica before it applied the writes made before capture: {string.Join(", ", stale.Take(10))}\n{run.Log}");

        await replica.StartAsync();
        run.Write($"{replica.Name} restarted");
        Assert.Equal(0, (await run.RunCliAsync("cutover", "--all", "--max-pause-ms", "2000")).Exit);
        await Task.Delay(300);
        await run.AssertEndStateAsync();
    }

    /// <summary>
    /// Resumes the paused <paramref name="replica"/> as soon as a session waits on it for a GTID position (true), or once the backfill
    /// has passed its first chunks without one (false).
    /// </summary>
    private static async Task<bool> ResumeWhenWaitedOnAsync(MigrationFaultRun run, MariaDbServer replica, CliProcess backfill)
    {
        var deadline = DateTime.UtcNow + MigrationFaultRun.CommandTimeout;
        var waited = false;
        while (DateTime.UtcNow < deadline && !backfill.HasExited)
        {
            // SHOW, not SELECT: the poll does not count in the replica's Com_select.
            if ((await replica.ExecuteAsync("SHOW FULL PROCESSLIST")).Contains("MASTER_GTID_WAIT", StringComparison.Ordinal))
            {
                waited = true;
                break;
            }

            if ((await run.ProgressAsync()).Cursor >= 40)
            {
                break;
            }

            await Task.Delay(20);
        }

        await replica.ResumeReplicationAsync();
        return waited;
    }

    /// <summary>The legacy orders 1 to <see cref="ChangedBeforeCapture"/> the writers never touched whose total differs on their user shard.</summary>
    private static async Task<List<string>> StaleCopiesAsync(MigrationFaultRun run)
    {
        var id = $"COALESCE(shardkit_order_id, {LegacyOrderIds.Sql(run.Topology.Shards.Map, "order_id", "user_id", "merchant_id")})";
        var rows = (await run.Topology.Legacy.ExecuteAsync(
            $"SELECT order_id, {id}, total_amount FROM `{LegacySeed.Database}`.`orders` WHERE order_id <= {ChangedBeforeCapture}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .ToList();
        var stale = new List<string>();
        foreach (var row in rows)
        {
            var legacyId = long.Parse(row[0], CultureInfo.InvariantCulture);
            var target = await run.Topology.ReadTargetAsync(OrderId.Parse(long.Parse(row[1], CultureInfo.InvariantCulture), MigrationTopology.ShardCount));
            var total = decimal.Parse(row[2], CultureInfo.InvariantCulture);
            if (target?.TotalAmount != total && !run.Workload!.LegacyIds.ContainsKey(legacyId))
            {
                stale.Add($"legacy order {legacyId}: total {total} on the legacy primary, {target?.TotalAmount.ToString(CultureInfo.InvariantCulture) ?? "none"} on its shard");
            }
        }

        return stale;
    }

    private static async Task<long> SelectsAsync(MariaDbServer server) =>
        long.Parse((await server.QueryScalarAsync("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_SELECT'"))!, CultureInfo.InvariantCulture);

    private static async Task WaitForCursorAsync(MigrationFaultRun run, CliProcess cli, long cursor)
    {
        var deadline = DateTime.UtcNow + MigrationFaultRun.CommandTimeout;
        while (true)
        {
            var progress = await run.ProgressAsync();
            if (progress.Cursor >= cursor)
            {
                return;
            }

            Assert.False(cli.HasExited, $"`{cli.CommandLine}` exited before the backfill passed {cursor}: {cli.Error} {cli.Output}\n{run.Log}");
            Assert.True(DateTime.UtcNow < deadline, $"`{cli.CommandLine}` did not pass {cursor}; last {progress}\n{run.Log}");
            await Task.Delay(5);
        }
    }
}

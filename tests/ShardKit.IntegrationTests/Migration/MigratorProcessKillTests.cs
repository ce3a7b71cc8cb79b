using System.Globalization;
using ShardKit.Migrations.Migration;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// Guarantee 6 with a real <c>kill -9</c>: the built <c>shardkit</c> CLI runs each phase as a child process while two
/// application writers run in this process, and is killed with SIGKILL at seeded random points (start, mid-chunk in the
/// backfill, verify, between buckets of the cutover, and the <c>resume</c> itself); <c>migrate resume</c> then finishes.
/// Every seeded run must end in the same state as an uninterrupted run, with nothing lost, duplicated or resurrected.
/// </summary>
[Collection("MigrationFaults")]
public sealed class MigratorProcessKillTests(ITestOutputHelper output)
{
    private const int LegacyOrders = 200;
    private const string ChunkSize = "10";

    [Fact]
    public async Task TheCliKilledWithSigkillAtRandomPointsAndResumedEndsLikeAnUninterruptedRun()
    {
        string reference;
        await using (var uninterrupted = await MigrationFaultRun.StartAsync("uninterrupted run", LegacyOrders, replicas: 0, output))
        {
            await MigrateAsync(uninterrupted, random: null);
            reference = await uninterrupted.AssertEndStateAsync();
        }

        foreach (var seed in Seeds())
        {
            await using var run = await MigrationFaultRun.StartAsync($"seed {seed}", LegacyOrders, replicas: 0, output);
            var kills = await MigrateAsync(run, new Random(seed));
            var snapshot = await run.AssertEndStateAsync();
            Assert.True(kills > 0, $"seed {seed}: no command was killed\n{run.Log}");
            Assert.True(snapshot == reference, $"seed {seed}: the end state differs from the uninterrupted run's.\nuninterrupted:\n{reference}\nseed {seed}:\n{snapshot}\n--- log\n{run.Log}");
        }
    }

    [Fact]
    public async Task AStalledMigratorThatWakesAfterItsResumeFinishedCannotWriteOlderRows()
    {
        // The background writers keep to legacy IDs 1-60; the orders the stalled migrator holds are beyond them.
        await using var run = await MigrationFaultRun.StartAsync("stalled migrator", LegacyOrders, replicas: 0, output);
        run.StartTraffic(writers: 2, legacyIds: 60);
        await Task.Delay(200);
        await StepAsync(run, ["start"], []);

        // SIGSTOP the backfill in the middle of its work, outside any transaction (a stalled open transaction would hold
        // its row locks until the server's wait_timeout: nothing else could change those rows).
        var stalled = run.StartCli("backfill", "--chunk-size", ChunkSize);
        var cursor = await StallAsync(run, stalled, afterKey: LegacyOrders / 2);

        // While it sleeps, the application changes every order of the chunks it may hold (and deletes one), and a new
        // migrator finishes the backfill and the catchup: the new states are on the shards.
        await using var app = run.Topology.NewStore(workerId: 23);
        var expected = run.Workload!.Expected;
        var changed = new List<OrderId>();
        for (var legacyId = cursor + 1; legacyId <= cursor + (2 * int.Parse(ChunkSize, CultureInfo.InvariantCulture)); legacyId++)
        {
            if (await app.FindByLegacyIdAsync(legacyId) is not { } order)
            {
                continue;
            }

            if (changed.Count == 0)
            {
                Assert.True(await app.DeleteAsync(order.Id));
                expected[order.Id] = null;
            }
            else
            {
                expected[order.Id] = await app.UpdateAsync(MigrationWorkload.Changed(order, 2));
            }

            changed.Add(order.Id);
        }

        run.Write($"the application changed {changed.Count} orders after legacy key {cursor} (deleted {changed[0]}) while the migrator was stalled");
        Assert.Equal(0, (await run.RunCliAsync("resume")).Exit);

        // The stalled migrator wakes and carries on with what it had read before: the copy must lose to every newer state.
        stalled.Continue();
        var exit = await stalled.WaitForExitAsync(MigrationFaultRun.CommandTimeout);
        run.Write($"the stalled `{stalled.CommandLine}` woke and exited {exit}: {MigrationFaultRun.LastLines(stalled.Error)}");
        Assert.True(exit == 0, $"the stalled migrator exited {exit}: {stalled.Error}\n{run.Log}");
        await run.Monitor.SampleAsync();
        foreach (var id in changed)
        {
            var onShards = await run.Topology.ReadTargetAsync(id);
            var want = expected[id];
            Assert.True(
                want is null ? onShards is null : onShards is not null && MigrationWorkload.Describe(onShards) == MigrationWorkload.Describe(want),
                $"order {id} after the stalled migrator woke: expected {(want is null ? "deleted" : MigrationWorkload.Describe(want))}, found {(onShards is null ? "none" : MigrationWorkload.Describe(onShards))}\n{run.Log}");
        }

        Assert.Equal(0, (await run.RunCliAsync("cutover", "--all", "--max-pause-ms", "2000")).Exit);
        await Task.Delay(300);
        await run.AssertEndStateAsync();
    }

    /// <summary>
    /// Once the backfill passed <paramref name="afterKey"/>, SIGSTOPs it at a moment when no server has a transaction open
    /// for more than a second (the stalled process holds no locks); returns the checkpoint it had reached.
    /// </summary>
    private static async Task<long> StallAsync(MigrationFaultRun run, CliProcess cli, int afterKey)
    {
        await WaitForAsync(run, cli, new KillPoint($"once the backfill passed key {afterKey}", p => Has(p, "backfill") && p.Cursor >= afterKey, 0));
        var servers = run.Topology.Topology.Clusters.Select(c => c.Primary).Append(run.Topology.Legacy).ToList();
        var random = new Random(afterKey);
        for (var attempt = 1; attempt <= 30; attempt++)
        {
            Assert.False(cli.HasExited, $"the backfill finished before it could be stalled\n{run.Log}");
            cli.Pause();
            await Task.Delay(1200);
            var open = 0;
            foreach (var server in servers)
            {
                open += int.Parse(await server.QueryScalarAsync("SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_started <= NOW() - INTERVAL 1 SECOND") ?? "0", CultureInfo.InvariantCulture);
            }

            var progress = await run.ProgressAsync();
            if (open == 0)
            {
                run.Write($"SIGSTOP `{cli.CommandLine}` at {progress} (attempt {attempt})");
                return progress.Cursor;
            }

            cli.Continue();
            await Task.Delay(random.Next(5, 40));
        }

        Assert.Fail($"the backfill could not be stalled outside a transaction in 30 attempts\n{run.Log}");
        return 0;
    }

    /// <summary>The seeds to run: SHARDKIT_KILL_SEEDS (comma-separated) for a longer soak, two fixed ones by default.</summary>
    private static int[] Seeds() =>
        Environment.GetEnvironmentVariable("SHARDKIT_KILL_SEEDS") is { Length: > 0 } seeds
            ? seeds.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : [1, 2];

    /// <summary>Runs start, backfill, verify and cutover under traffic; with <paramref name="random"/>, kills each at random points and resumes. Returns the number of kills.</summary>
    private static async Task<int> MigrateAsync(MigrationFaultRun run, Random? random)
    {
        run.StartTraffic(writers: 2);
        await Task.Delay(200);
        var kills = 0;
        kills += await StepAsync(run, ["start"], random is null ? [] :
        [
            new KillPoint("once start is recorded", p => Has(p, "start"), random.Next(0, 200)),
        ]);

        var first = random?.Next(10, LegacyOrders * 2 / 3) ?? 0;
        var second = random?.Next(first + 10, LegacyOrders) ?? 0;
        kills += await StepAsync(run, ["backfill", "--chunk-size", ChunkSize], random is null ? [] :
        [
            new KillPoint($"once the backfill passed key {first}", p => Has(p, "backfill") && p.Cursor >= first, random.Next(0, 30)),
            .. random.Next(2) == 0 ? [] : new[] { new KillPoint($"once the resumed backfill passed key {second}", p => Has(p, "backfill") && p.Cursor >= second, random.Next(0, 30)) },
        ]);

        // Under live writes a bucket may differ by the writes in flight (exit 1); the cutover verifies each bucket frozen.
        kills += await StepAsync(run, ["verify"], random is null ? [] :
        [
            new KillPoint("once verify is recorded", p => Has(p, "verify"), random.Next(0, 300)),
        ], allowedExits: [0, 1]);

        var moved = random?.Next(0, MigrationTopology.ShardCount - 2) ?? 0;
        var movedAgain = random?.Next(moved + 1, MigrationTopology.ShardCount) ?? 0;
        kills += await StepAsync(run, ["cutover", "--all", "--max-pause-ms", "2000"], random is null ? [] :
        [
            new KillPoint($"once {moved} bucket(s) moved", p => Has(p, "cutover") && p.Moved >= moved, random.Next(0, 60)),
            .. random.Next(2) == 0 ? [] : new[] { new KillPoint($"once the resumed cutover moved {movedAgain}", p => Has(p, "cutover") && p.Moved >= movedAgain, random.Next(0, 60)) },
        ]);

        await Task.Delay(300);   // the writers now write on the shards
        return kills;
    }

    private static bool Has(ControlProgress progress, string command) => progress.Command?.Contains($"\"{command}\"", StringComparison.Ordinal) == true;

    /// <summary>
    /// Runs <c>migrate &lt;command&gt;</c>; at each kill point (the first on the command, the next on its <c>resume</c>) waits
    /// for it, SIGKILLs the process and starts <c>migrate resume</c>. The last process runs to its end and must exit with one of
    /// <paramref name="allowedExits"/> (default 0). Returns the number of kills.
    /// </summary>
    private static async Task<int> StepAsync(MigrationFaultRun run, string[] command, IReadOnlyList<KillPoint> points, int[]? allowedExits = null)
    {
        allowedExits ??= [0];
        var args = command;
        var kills = 0;
        foreach (var point in points)
        {
            var cli = run.StartCli(args);
            var reached = await WaitForAsync(run, cli, point);
            if (reached is not null)
            {
                await Task.Delay(point.DelayMs);
            }

            if (reached is not null && await cli.KillAsync())
            {
                kills++;
                run.Write($"SIGKILL `{cli.CommandLine}` {point.Description} + {point.DelayMs} ms (saw {reached}); after the kill: {await run.ProgressAsync()}");
                args = ["resume"];
                continue;
            }

            var exit = await cli.WaitForExitAsync(MigrationFaultRun.CommandTimeout);
            run.Write($"`{cli.CommandLine}` exited {exit} before the kill point ({point.Description})");
            Assert.True(allowedExits.Contains(exit), $"{run.Name}: `{cli.CommandLine}` exited {exit}: {cli.Error} {cli.Output}\n--- log\n{run.Log}");
            return kills;
        }

        var (code, output, error) = await run.RunCliAsync(args);
        Assert.True(allowedExits.Contains(code), $"{run.Name}: `migrate {string.Join(' ', args)}` exited {code}: {error} {output}\n--- log\n{run.Log}");
        return kills;
    }

    /// <summary>Polls the control schema until <paramref name="point"/> is reached (returns what it saw) or the process exits (null).</summary>
    private static async Task<ControlProgress?> WaitForAsync(MigrationFaultRun run, CliProcess cli, KillPoint point)
    {
        var deadline = DateTime.UtcNow + MigrationFaultRun.CommandTimeout;
        while (!cli.HasExited)
        {
            var progress = await run.ProgressAsync();
            if (point.When(progress))
            {
                return progress;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{run.Name}: `{cli.CommandLine}` did not reach the kill point ({point.Description}) within {MigrationFaultRun.CommandTimeout.TotalSeconds:0} s; last {progress}");
            await Task.Delay(5);
        }

        return null;
    }
}

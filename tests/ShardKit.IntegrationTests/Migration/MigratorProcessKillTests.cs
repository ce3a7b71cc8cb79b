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

        foreach (var seed in KilledSteps.Seeds())
        {
            output.WriteLine($"--- seed {seed} starts (rerun it alone with SHARDKIT_KILL_SEEDS={seed})");
            await using var run = await MigrationFaultRun.StartAsync($"seed {seed}", LegacyOrders, replicas: 0, output);
            var kills = await MigrateAsync(run, new Random(seed));
            var snapshot = await run.AssertEndStateAsync();
            Assert.True(kills > 0, $"seed {seed}: no command was killed\n{run.Log}");
            Assert.True(snapshot == reference, $"seed {seed}: the end state differs from the uninterrupted run's.\nuninterrupted:\n{reference}\nseed {seed}:\n{snapshot}\n--- log\n{run.Log}");
        }
    }

    /// <summary>Runs start, backfill, verify and cutover under traffic; with <paramref name="random"/>, kills each at random points and resumes. Returns the number of kills.</summary>
    private static async Task<int> MigrateAsync(MigrationFaultRun run, Random? random)
    {
        run.StartTraffic(writers: 2);
        await Task.Delay(200);
        var kills = 0;
        kills += await StepAsync(run, ["start"], random is null ? [] :
        [
            new KillPoint<ControlProgress>("once start is recorded", p => Has(p, "start"), random.Next(0, 200)),
        ]);

        var first = random?.Next(10, LegacyOrders * 2 / 3) ?? 0;
        var second = random?.Next(first + 10, LegacyOrders) ?? 0;
        kills += await StepAsync(run, ["backfill", "--chunk-size", ChunkSize], random is null ? [] :
        [
            new KillPoint<ControlProgress>($"once the backfill passed key {first}", p => Has(p, "backfill") && p.Cursor >= first, random.Next(0, 30)),
            .. random.Next(2) == 0 ? [] : new[] { new KillPoint<ControlProgress>($"once the resumed backfill passed key {second}", p => Has(p, "backfill") && p.Cursor >= second, random.Next(0, 30)) },
        ]);

        // Under live writes a bucket may differ by the writes in flight (exit 1); the cutover verifies each bucket frozen.
        kills += await StepAsync(run, ["verify"], random is null ? [] :
        [
            new KillPoint<ControlProgress>("once verify is recorded", p => Has(p, "verify"), random.Next(0, 300)),
        ], allowedExits: [0, 1]);

        var moved = random?.Next(0, MigrationTopology.ShardCount - 2) ?? 0;
        var movedAgain = random?.Next(moved + 1, MigrationTopology.ShardCount) ?? 0;
        kills += await StepAsync(run, ["cutover", "--all", "--max-pause-ms", "2000"], random is null ? [] :
        [
            new KillPoint<ControlProgress>($"once {moved} bucket(s) moved", p => Has(p, "cutover") && p.Moved >= moved, random.Next(0, 60)),
            .. random.Next(2) == 0 ? [] : new[] { new KillPoint<ControlProgress>($"once the resumed cutover moved {movedAgain}", p => Has(p, "cutover") && p.Moved >= movedAgain, random.Next(0, 60)) },
        ]);

        await Task.Delay(300);   // the writers now write on the shards
        return kills;
    }

    private static bool Has(ControlProgress progress, string command) => progress.Command?.Contains($"\"{command}\"", StringComparison.Ordinal) == true;

    private static Task<int> StepAsync(MigrationFaultRun run, string[] command, IReadOnlyList<KillPoint<ControlProgress>> points, int[]? allowedExits = null) =>
        KilledSteps.RunAsync(run, run.ProgressAsync, command, points, allowedExits);
}

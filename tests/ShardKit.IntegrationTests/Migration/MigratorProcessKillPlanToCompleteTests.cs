using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// Guarantee 6 with a real <c>kill -9</c> for the steps <see cref="MigratorProcessKillTests"/> does not kill: the built
/// <c>shardkit</c> CLI runs <c>plan</c> (nothing exists yet), <c>reverse</c> and <c>rollback --all</c> after a cutover, and
/// <c>complete</c> after the buckets were cut over again, while two application writers run in this process; each is
/// SIGKILLed at seeded random points of the progress it leaves in the databases (and its <c>resume</c> once more, at times),
/// then <c>migrate resume</c> finishes it. Every seeded run must end in the same state as an uninterrupted run, with nothing
/// lost, duplicated or resurrected.
/// </summary>
[Collection("MigrationFaults")]
public sealed class MigratorProcessKillPlanToCompleteTests(ITestOutputHelper output)
{
    private const int LegacyOrders = 120;
    private const string MaxPause = "2000";
    private static readonly int s_shards = MigrationTopology.ShardCount;

    [Fact]
    public async Task PlanReverseRollbackAndCompleteKilledWithSigkillAndResumedEndLikeAnUninterruptedRun()
    {
        string reference;
        await using (var uninterrupted = await MigrationFaultRun.StartAsync("uninterrupted run", LegacyOrders, replicas: 0, output, planned: false))
        {
            await MigrateAsync(uninterrupted, random: null);
            reference = await uninterrupted.AssertEndStateAsync(completed: true);
        }

        foreach (var seed in KilledSteps.Seeds())
        {
            output.WriteLine($"--- seed {seed} starts (rerun it alone with SHARDKIT_KILL_SEEDS={seed})");
            await using var run = await MigrationFaultRun.StartAsync($"seed {seed}", LegacyOrders, replicas: 0, output, planned: false);
            var kills = await MigrateAsync(run, new Random(seed));
            var snapshot = await run.AssertEndStateAsync(completed: true);
            Assert.True(kills > 0, $"seed {seed}: no command was killed\n{run.Log}");
            Assert.True(snapshot == reference, $"seed {seed}: the end state differs from the uninterrupted run's.\nuninterrupted:\n{reference}\nseed {seed}:\n{snapshot}\n--- log\n{run.Log}");
        }
    }

    /// <summary>
    /// Plans, starts, backfills and cuts over; reverses, rolls back and cuts over again; completes. With <paramref name="random"/>
    /// kills plan, reverse, rollback and complete at random points and resumes each. Returns the number of kills.
    /// </summary>
    private static async Task<int> MigrateAsync(MigrationFaultRun run, Random? random)
    {
        // A plan records itself once the control schema exists; one killed before that left nothing resume knows of, and is run again.
        var kills = await KilledSteps.RunAsync(run, run.StepProgressAsync, ["plan"], Points(random, "plan", PlanStage, PlanStages, from: 0),
            recovery: async () => (await run.StepProgressAsync()).Phase is null ? ["plan"] : ["resume"]);

        run.StartTraffic(writers: 2);
        await Task.Delay(200);
        await StepAsync(run, ["start"], []);
        await StepAsync(run, ["backfill"], []);
        await StepAsync(run, ["cutover", "--all", "--max-pause-ms", MaxPause], []);

        // The writers now write on the shards, which log every change for the reverse flow.
        var logged = await WaitForChangesAsync(run, 40);
        var drained = random?.Next(1, logged / 2) ?? 0;
        var drainedAgain = random?.Next(1, logged / 2) ?? 0;
        kills += await StepAsync(run, ["reverse"], random is null ? [] :
        [
            new KillPoint<MigrationStepProgress>($"once it drained {drained} of the shards' changes", Drained(drained), random.Next(0, 20)),
            .. random.Next(2) == 0 ? [] : new[] { new KillPoint<MigrationStepProgress>($"once the resumed reverse drained {drainedAgain} more", Drained(drainedAgain), random.Next(0, 20)) },
        ]);

        var back = random?.Next(0, s_shards - 2) ?? 0;
        var backAgain = random?.Next(back + 1, s_shards) ?? 0;
        kills += await StepAsync(run, ["rollback", "--all", "--max-pause-ms", MaxPause], random is null ? [] :
        [
            new KillPoint<MigrationStepProgress>($"once {back} bucket(s) were back on the source", p => p.Has("rollback") && p.Moved <= s_shards - back, random.Next(0, 60)),
            .. random.Next(2) == 0 ? [] : new[] { new KillPoint<MigrationStepProgress>($"once the resumed rollback moved {backAgain} back", p => p.Moved <= s_shards - backAgain, random.Next(0, 60)) },
        ]);

        await StepAsync(run, ["cutover", "--all", "--max-pause-ms", MaxPause], []);
        await WaitForChangesAsync(run, 10);
        kills += await StepAsync(run, ["complete"], Points(random, "complete", CompleteStage, CompleteStages, from: 1));

        await Task.Delay(300);   // the writers now write on the shards alone
        return kills;
    }

    private static Task<int> StepAsync(MigrationFaultRun run, string[] command, IReadOnlyList<KillPoint<MigrationStepProgress>> points) =>
        KilledSteps.RunAsync(run, run.StepProgressAsync, command, points);

    /// <summary>
    /// Kill points for a step whose progress is counted in stages (<paramref name="stage"/>, 0 to <paramref name="stages"/>): one at a
    /// random stage from <paramref name="from"/> on, and at times one more, at a later stage, on its <c>resume</c>; none without
    /// <paramref name="random"/>.
    /// </summary>
    private static KillPoint<MigrationStepProgress>[] Points(Random? random, string command, Func<MigrationStepProgress, int> stage, int stages, int from)
    {
        if (random is null)
        {
            return [];
        }

        var first = random.Next(from, stages * 2 / 3);
        var second = random.Next(first + 1, stages);
        return
        [
            new($"once {command} reached stage {first} of {stages}", p => stage(p) >= first, random.Next(0, 60)),
            .. random.Next(2) == 0 ? [] : new KillPoint<MigrationStepProgress>[] { new($"once the resumed {command} reached stage {second}", p => stage(p) >= second, random.Next(0, 60)) },
        ];
    }

    /// <summary>The plan's stages: the migration row, each user shard's fence, the source's fence, each bucket row.</summary>
    private static int PlanStage(MigrationStepProgress p) => (p.Phase is null ? 0 : 1) + p.ShardsPrepared + (p.SourcePrepared ? 1 : 0) + p.Buckets;

    private static int PlanStages => 2 + (2 * s_shards);

    /// <summary>Complete's stages: recorded (killed before that, it did nothing), every bucket COMPLETE, each user shard's fence dropped, the source's fence dropped.</summary>
    private static int CompleteStage(MigrationStepProgress p) =>
        (p.Has("complete") ? 1 : 0) + (p.Completed == s_shards ? 1 : 0) + (p.Completed == s_shards ? s_shards - p.ShardsPrepared : 0) + (p.SourcePrepared ? 0 : 1);

    private static int CompleteStages => 3 + s_shards;

    /// <summary>
    /// Reached once a running reverse has drained <paramref name="count"/> of the changes logged on the shards: their number
    /// fell that far below the most this point saw (the writers keep logging).
    /// </summary>
    private static Func<MigrationStepProgress, bool> Drained(int count)
    {
        var most = 0L;
        return p =>
        {
            most = Math.Max(most, p.TargetChanges);
            return p.Has("reverse") && p.TargetChanges >= 0 && p.TargetChanges <= most - count;
        };
    }

    /// <summary>Waits until the shards have logged at least <paramref name="count"/> changes for the reverse flow; returns how many they have.</summary>
    private static async Task<int> WaitForChangesAsync(MigrationFaultRun run, int count)
    {
        var deadline = DateTime.UtcNow + MigrationFaultRun.CommandTimeout;
        while (true)
        {
            var progress = await run.StepProgressAsync();
            if (progress.TargetChanges >= count)
            {
                run.Write($"{progress.TargetChanges} change(s) logged on the shards");
                return (int)progress.TargetChanges;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{run.Name}: the shards did not log {count} changes within {MigrationFaultRun.CommandTimeout.TotalSeconds:0} s; last {progress}\n--- log\n{run.Log}");
            await Task.Delay(50);
        }
    }
}

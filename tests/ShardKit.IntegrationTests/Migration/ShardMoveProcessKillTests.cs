using System.Globalization;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// Guarantee 6 for shard moves with a real <c>kill -9</c>: the built <c>shardkit move-shard</c> CLI moves user:1 from c0 to c1,
/// rolls it back, completes the rollback, moves it again and completes the move, while two writers (raw SQL and the
/// two-dimension store) write the shard from this process. Each command is SIGKILLed at seeded random points of the progress
/// it leaves in the databases (and its <c>resume</c> once more, at times), then <c>move-shard resume</c> finishes it. Every
/// seeded run must pass through the same states and end like an uninterrupted run, with nothing lost or resurrected.
/// </summary>
[Collection("MigrationFaults")]
public sealed class ShardMoveProcessKillTests(ITestOutputHelper output)
{
    private const string MaxPause = "2000";
    private const string ChunkSize = "20";
    private static readonly string s_shard = "user:" + ShardMoveKillRun.Shard.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task MoveRollbackAndCompleteKilledWithSigkillAndResumedEndLikeAnUninterruptedMove()
    {
        string reference;
        await using (var uninterrupted = await ShardMoveKillRun.StartAsync("uninterrupted run", output))
        {
            reference = await MoveAsync(uninterrupted, random: null);
        }

        foreach (var seed in KilledSteps.Seeds())
        {
            output.WriteLine($"--- seed {seed} starts (rerun it alone with SHARDKIT_KILL_SEEDS={seed})");
            await using var run = await ShardMoveKillRun.StartAsync($"seed {seed}", output);
            var random = new Random(seed);
            var snapshot = await MoveAsync(run, random);
            Assert.True(run.Log.Contains("SIGKILL", StringComparison.Ordinal), $"seed {seed}: no command was killed\n{run.Log}");
            Assert.True(snapshot == reference, $"seed {seed}: the states differ from the uninterrupted run's.\nuninterrupted:\n{reference}\nseed {seed}:\n{snapshot}\n--- log\n{run.Log}");
        }
    }

    [Fact]
    public async Task ARebalancePlanExecutedAndKilledWithSigkillEndsLikeAnUninterruptedOne()
    {
        string reference;
        await using (var uninterrupted = await ShardMoveKillRun.StartAsync("uninterrupted rebalance", output, clusters: 3))
        {
            reference = await RebalanceAsync(uninterrupted, random: null);
        }

        foreach (var seed in KilledSteps.Seeds())
        {
            output.WriteLine($"--- seed {seed} starts (rerun it alone with SHARDKIT_KILL_SEEDS={seed})");
            await using var run = await ShardMoveKillRun.StartAsync($"rebalance, seed {seed}", output, clusters: 3);
            var snapshot = await RebalanceAsync(run, new Random(seed));
            Assert.True(run.Log.Contains("SIGKILL", StringComparison.Ordinal), $"seed {seed}: no command was killed\n{run.Log}");
            Assert.True(snapshot == reference, $"seed {seed}: the states differ from the uninterrupted run's.\nuninterrupted:\n{reference}\nseed {seed}:\n{snapshot}\n--- log\n{run.Log}");
        }
    }

    /// <summary>
    /// Drains c0 onto c2 with <c>plan --clusters c1,c2 --dimension user --execute</c> (user:0 and user:1, the shard the writers
    /// write, move one after the other); with <paramref name="random"/> kills it while it moves the first or the second shard,
    /// resumes the interrupted move and runs the plan again, which moves what is left (docs: re-running it continues).
    /// </summary>
    private static async Task<string> RebalanceAsync(ShardMoveKillRun run, Random? random)
    {
        run.StartWriters(writers: 2);
        await Task.Delay(200);
        string[] plan = ["plan", "--clusters", "c1,c2", "--dimension", "user", "--execute", "--chunk-size", ChunkSize, "--max-pause-ms", MaxPause];
        var moves = random?.Next(0, 2) ?? 0;
        await KilledSteps.RunAsync(run, run.MovesAsync, plan, random is null ? [] :
        [
            new KillPoint<ShardMovesProgress>($"once {moves + 1} move(s) are recorded and {moves} done", p => p.Recorded > moves && p.Moved == moves, random.Next(0, 400)),
        ],
            recovery: () => Task.FromResult<string[]>(["resume", "--chunk-size", ChunkSize, "--max-pause-ms", MaxPause]));
        await KilledSteps.RunAsync(run, run.MovesAsync, plan, []);
        await Task.Delay(300);   // the writers now write on c2
        return await run.AssertEndStateAsync("c2");
    }

    /// <summary>
    /// Moves the shard to c1, rolls it back, completes, moves it to c1 again and completes, under the writers; with
    /// <paramref name="random"/> kills each command at random points and resumes it. Returns the snapshot after every step and
    /// the end state's.
    /// </summary>
    private static async Task<string> MoveAsync(ShardMoveKillRun run, Random? random)
    {
        run.StartWriters(writers: 2);
        await Task.Delay(200);
        var snapshots = new List<string>();
        string[] move = ["--shard", s_shard, "--to", "c1", "--chunk-size", ChunkSize, "--max-pause-ms", MaxPause];
        await StepAsync(run, move, Points(random, MovePoints()));
        snapshots.Add("after the move\n" + await run.SnapshotAsync());

        await StepAsync(run, ["rollback", "--shard", s_shard, "--max-pause-ms", MaxPause], Points(random,
        [
            ("the rollback is recorded", p => p.Has("rollback")),
            ("the shard is being switched back", p => p.State == "REVERSE"),
            ("the shard is back on c0", p => p.State == "REVERSED" && p.Has("rollback")),
        ]));
        snapshots.Add("after the rollback\n" + await run.SnapshotAsync());

        await StepAsync(run, ["complete", "--shard", s_shard], Points(random, CompletePoints(served: "c0", left: "c1")));
        snapshots.Add("after completing the rollback\n" + await run.SnapshotAsync());

        await StepAsync(run, move, Points(random, MovePoints()));
        snapshots.Add("after the second move\n" + await run.SnapshotAsync());

        await StepAsync(run, ["complete", "--shard", s_shard], Points(random, CompletePoints(served: "c1", left: "c0")));
        await Task.Delay(300);   // the writers now write on c1 alone
        return string.Join("", snapshots) + "at the end\n" + await run.AssertEndStateAsync("c1");
    }

    private static Task<int> StepAsync(ShardMoveKillRun run, string[] command, IReadOnlyList<KillPoint<ShardMoveProgress>> points) =>
        KilledSteps.RunAsync(run, run.ProgressAsync, command, points,
            recovery: () => Task.FromResult<string[]>(["resume", "--chunk-size", ChunkSize, "--max-pause-ms", MaxPause]));

    /// <summary>A move's progress, in order: recorded, triggers on the old cluster, copying, 60 rows copied, copied, switching, switched.</summary>
    private static (string, Func<ShardMoveProgress, bool>)[] MovePoints() =>
    [
        ("the move is recorded", p => p.Live && p.Has("move")),
        ("the old cluster has the move's triggers", p => p.Live && p.Clusters["c0"].Triggers > 0),
        ("the copy began", p => p.State is "COPY"),
        ("60 rows were copied", p => p.State is "COPY" && p.RowsCopied >= 60),
        ("the copy is done", p => p.Live && p.CopyDone),
        ("the cutover began", p => p.State is "CUTOVER" or "MOVED"),
        ("the shard is on c1", p => p.State is "MOVED"),
    ];

    /// <summary>A complete's progress, in order: recorded, triggers gone on the serving cluster, on both, the shard's schema gone from <paramref name="left"/>.</summary>
    private static (string, Func<ShardMoveProgress, bool>)[] CompletePoints(string served, string left) =>
    [
        ("complete is recorded", p => p.Has("complete")),
        ($"the triggers on {served} are gone", p => p.Has("complete") && p.Clusters[served].Triggers == 0),
        ("the triggers on both clusters are gone", p => p.Has("complete") && p.Clusters.Values.All(c => c.Triggers == 0)),
        ($"the shard's schema on {left} is gone", p => p.Has("complete") && !p.Clusters[left].Schema),
    ];

    /// <summary>
    /// Kill points from a command's progress in order: one at a random point with a random delay, and at times one more, at a
    /// later point, on its <c>resume</c>; none without <paramref name="random"/>.
    /// </summary>
    private static KillPoint<ShardMoveProgress>[] Points(Random? random, (string Description, Func<ShardMoveProgress, bool> When)[] progress)
    {
        if (random is null)
        {
            return [];
        }

        var first = random.Next(0, progress.Length - 1);
        var second = random.Next(first + 1, progress.Length);
        return
        [
            new($"once {progress[first].Description}", progress[first].When, random.Next(0, 50)),
            .. random.Next(2) == 0 ? [] : new KillPoint<ShardMoveProgress>[] { new($"once {progress[second].Description} (resumed)", progress[second].When, random.Next(0, 50)) },
        ];
    }
}

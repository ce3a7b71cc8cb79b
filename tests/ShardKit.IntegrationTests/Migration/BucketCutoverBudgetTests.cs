using ShardKit.Migration;
using ShardKit.Migrations.Migration;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The bucket cutover's pause budget (<c>--max-pause-ms</c>) bounds the whole pause the writers see, as the shard mover's does:
/// a step under the frozen fence made slower than the budget (through the migrator's step hook) makes that bucket's switch roll
/// back and leave the bucket on the source, never a switch whose recorded pause overruns the budget; the next cutover switches it.
/// </summary>
public sealed class BucketCutoverBudgetTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(2);

    // Well above the budget, so the outcome does not depend on the machine's speed.
    private static readonly TimeSpan s_slowStep = TimeSpan.FromMilliseconds(3000);

    [Fact]
    public async Task ASlowStepUnderTheFenceMakesTheBucketStayOnTheSourceRatherThanOverrunThePauseBudget()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 120);

        // One attempt per bucket, so the over-budget attempt is what the cutover reports.
        using var migrator = topology.NewMigrator(cutoverAttempts: 1);
        await migrator.PlanAsync(CancellationToken.None);
        await using var store = topology.NewStore(workerId: 10);
        var workload = new MigrationWorkload(store, topology.Ids(11), MigrationTopology.Users, MigrationTopology.Merchants, topology.LegacyOrders);
        using var stop = new CancellationTokenSource();
        var traffic = workload.RunAsync(writers: 2, TimeSpan.FromMilliseconds(10), stop.Token);
        await migrator.StartAsync(CancellationToken.None);
        await migrator.BackfillAsync(progress: null, CancellationToken.None);
        await migrator.CatchupAsync(progress: null, CancellationToken.None);

        // Only the first bucket's frozen step is slow: that bucket rolls back and stays on the source; the others switch.
        var frozenSteps = 0;
        migrator.Step = step => step == "cutover.frozen" && Interlocked.Increment(ref frozenSteps) == 1 ? Task.Delay(s_slowStep) : Task.CompletedTask;
        var first = await migrator.CutoverAsync(buckets: null, s_budget, CancellationToken.None);
        var slow = first[0];
        output.WriteLine($"slow bucket {slow.Bucket}: switched {slow.Switched}, pause {slow.PauseMs:0} ms, {slow.Error}");
        Assert.False(slow.Switched, $"bucket {slow.Bucket} switched with a step of {s_slowStep.TotalMilliseconds} ms under the fence and a budget of {s_budget.TotalMilliseconds} ms (pause {slow.PauseMs:0} ms)");
        Assert.Contains("more than the 2000 ms allowed; the bucket stays on the source side", slow.Error, StringComparison.Ordinal);
        Assert.All(first.Skip(1), r => Assert.True(r.Switched, r.Error));
        var status = await migrator.StatusAsync(CancellationToken.None);
        var stayed = status.Buckets[slow.Bucket];
        Assert.Equal(("CATCHUP", slow.Error), (stayed.State, stayed.LastError));
        var source = new LegacySource(LegacySeed.Database, topology.Shards.Map);
        await using (var side = await FenceSide.OpenAsync(topology.Shards, source, slow.Bucket, Authority.Source, CancellationToken.None))
        {
            // Rolled back: the source still serves the bucket, with the epoch it had.
            Assert.Equal(new FenceState(Authority.Source, true, slow.Epoch), await side.ReadAsync(CancellationToken.None));
        }

        await using (var side = await FenceSide.OpenAsync(topology.Shards, source, slow.Bucket, Authority.Target, CancellationToken.None))
        {
            Assert.Equal(Authority.Source, (await side.ReadAsync(CancellationToken.None)).Authority);
        }

        // The next cutover switches it within the budget.
        var again = Assert.Single(await migrator.CutoverAsync(buckets: null, s_budget, CancellationToken.None));
        output.WriteLine($"again: bucket {again.Bucket} switched {again.Switched}, pause {again.PauseMs:0.0} ms");
        Assert.True(again.Switched, again.Error);
        Assert.Equal(slow.Bucket, again.Bucket);
        Assert.Equal(slow.Epoch + 1, again.Epoch);
        Assert.True(again.PauseMs <= s_budget.TotalMilliseconds, $"the recorded pause {again.PauseMs:0.0} ms is over the {s_budget.TotalMilliseconds} ms budget");
        status = await migrator.StatusAsync(CancellationToken.None);
        Assert.All(status.Buckets, b => Assert.Equal(("MOVED", (string?)null), (b.State, b.LastError)));
        Assert.Equal(again.PauseMs, status.Buckets[slow.Bucket].PauseMs);

        await Task.Delay(300);
        await stop.CancelAsync();
        await traffic;
        Assert.True(workload.Errors == 0, string.Join("\n", workload.ErrorSamples));
        var problems = await workload.CheckAsync(topology.ReadTargetAsync);
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(10)));
        var final = await migrator.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        Assert.All(final, r => Assert.True(r.Equal, $"bucket {r.Bucket} differs"));
    }

    [Fact]
    public async Task ASwitchThatRanOverBudgetIsTriedAgainWithinTheSameCutover()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 60);
        using var migrator = topology.NewMigrator();
        await migrator.PlanAsync(CancellationToken.None);
        await migrator.StartAsync(CancellationToken.None);
        await migrator.BackfillAsync(progress: null, CancellationToken.None);

        // The first bucket's first attempt is slower than the budget; its second attempt is not.
        var frozenSteps = 0;
        migrator.Step = step => step == "cutover.frozen" && Interlocked.Increment(ref frozenSteps) == 1 ? Task.Delay(s_slowStep) : Task.CompletedTask;
        var results = await migrator.CutoverAsync(buckets: null, s_budget, CancellationToken.None);

        Assert.All(results, r => Assert.True(r.Switched, r.Error));
        Assert.Equal(results.Count + 1, frozenSteps);
        Assert.All(results, r => Assert.True(r.PauseMs <= s_budget.TotalMilliseconds, $"bucket {r.Bucket}: pause {r.PauseMs:0.0} ms over the budget"));
        var status = await migrator.StatusAsync(CancellationToken.None);
        Assert.All(status.Buckets, b => Assert.Equal(("MOVED", (string?)null), (b.State, b.LastError)));
        Assert.Equal(results[0].Epoch, status.Buckets[results[0].Bucket].Epoch);
    }
}

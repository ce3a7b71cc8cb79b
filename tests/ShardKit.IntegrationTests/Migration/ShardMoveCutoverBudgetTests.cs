using Dapper;
using ShardKit.Migration;
using ShardKit.Migrations.Migration.Moves;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The cutover's pause budget (<see cref="ShardMoverOptions.MaxPause"/>) bounds the whole pause the writers see, the placement
/// update included: a placement step made slower than the budget (through the mover's step hook) makes the switch fall back and
/// retry, never a switch whose recorded pause overruns the budget.
/// </summary>
public sealed class ShardMoveCutoverBudgetTests(ITestOutputHelper output)
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(1);

    // Well above the budget, so the outcome does not depend on the machine's speed.
    private static readonly TimeSpan s_slowPlacement = TimeSpan.FromMilliseconds(1500);

    [Fact]
    public async Task ASlowPlacementStepMakesTheCutoverFallBackAndRetryRatherThanOverrunThePauseBudget()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var workload = new ShardMoveWorkload(topology, shard: 1);
        await workload.SeedAsync(notes: 60, orders: 20);
        var schema = topology.Mover.Map.GetRoute(ShardDimension.User, 1).Schema;
        using var stop = new CancellationTokenSource();
        var writers = workload.RunAsync(writers: 2, stop.Token);

        // Every attempt's placement step is slow: the move gives up after its attempts, says why, and the shard stays on c0.
        var stuck = new ShardMover(topology.Mover, new ShardMoverOptions { ChunkSize = 20, MaxPause = s_budget, CutoverAttempts = 2 })
        {
            Step = step => step == "cutover.placement" ? Task.Delay(s_slowPlacement) : Task.CompletedTask,
        };
        var failed = await stuck.MoveAsync("user:1", "c1", command: null, progress: null, CancellationToken.None);
        output.WriteLine($"always slow: switched {failed.Switched}, {failed.Error}");
        Assert.False(failed.Switched, $"the move switched with a placement step of {s_slowPlacement.TotalMilliseconds} ms and a budget of {s_budget.TotalMilliseconds} ms (pause {failed.PauseMs:0} ms)");
        Assert.Contains("more than the 1000 ms allowed; shard user:1 stays on 'c0' and the cutover is tried again", failed.Error, StringComparison.Ordinal);
        var status = Assert.Single(await stuck.StatusAsync("user:1", CancellationToken.None));
        Assert.Equal(("COPY", (double?)null), (status.State, status.PauseMs));
        Assert.Equal(failed.Error, status.LastError);
        await using (var control = await topology.OpenClusterAsync("c0"))
        {
            Assert.Equal(0, await control.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM shardkit_control.placements WHERE dimension = 'user' AND shard = 1"));
        }

        await using (var target = await topology.OpenClusterAsync("c1"))
        {
            // Closed: it refuses the application's writes and names the cluster that still serves the shard.
            Assert.Equal((false, ShardFenceSignal.ServedByCluster("c0")), await target.QuerySingleAsync<(bool, string)>($"SELECT serves, served_by FROM `{schema}`.`{ShardFence.FenceTable}`"));
        }

        Assert.Empty(workload.Errors);

        // Only the first attempt's placement step is slow: that attempt falls back, the next switches within the budget.
        var placementSteps = 0;
        var mover = new ShardMover(topology.Mover, new ShardMoverOptions { ChunkSize = 20, MaxPause = s_budget })
        {
            Step = step => step == "cutover.placement" && Interlocked.Increment(ref placementSteps) == 1 ? Task.Delay(s_slowPlacement) : Task.CompletedTask,
        };
        var result = await mover.MoveAsync("user:1", "c1", command: null, progress: null, CancellationToken.None);
        output.WriteLine($"first attempt slow: switched {result.Switched} after {placementSteps} placement steps, pause {result.PauseMs:0.0} ms");
        Assert.True(result.Switched, result.Error);
        Assert.True(placementSteps >= 2, $"the move switched on the attempt whose placement step took {s_slowPlacement.TotalMilliseconds} ms");
        Assert.True(result.PauseMs <= s_budget.TotalMilliseconds, $"the recorded pause {result.PauseMs:0.0} ms is over the {s_budget.TotalMilliseconds} ms budget");
        status = Assert.Single(await mover.StatusAsync("user:1", CancellationToken.None));
        Assert.Equal(("MOVED", result.PauseMs, (string?)null), (status.State, status.PauseMs, status.LastError));

        await Task.Delay(300);
        await stop.CancelAsync();
        await writers;
        Assert.Empty(workload.Errors);
        Assert.Empty(await workload.CheckAsync("c1", schema));
        Assert.Equal("c1", topology.App.Map.GetRoute(ShardDimension.User, 1).Cluster.Name);
    }
}

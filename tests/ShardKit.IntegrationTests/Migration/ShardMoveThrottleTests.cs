using Dapper;
using ShardKit.Migration;
using ShardKit.Migrations.Commands;
using ShardKit.Migrations.Migration.Moves;
using ShardKit.Migrations.Migration.Throttling;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>A shard move's copy waits on the jobs' one throttle, with the migrator's account: here while the writers report a slow p99.</summary>
public sealed class ShardMoveThrottleTests
{
    [Fact]
    public async Task TheMoveCopyWaitsWhileTheWritersReportASlowP99AndSaysWhyThenFinishes()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var users = ShardMoveTopology.UsersOf(shard: 1, count: 30);
        var source = await topology.OpenClusterAsync("c0");
        await using (source)
        {
            var schema = topology.Mover.Map.GetRoute(ShardDimension.User, 1).Schema;
            for (var i = 0; i < users.Count; i++)
            {
                await source.ExecuteAsync($"INSERT INTO `{schema}`.`notes` (note_id, user_id, body, version) VALUES (@Id, @User, 'n', 1)", new { Id = i + 1, User = users[i] });
            }
        }

        // A running writer reports its p99 in the control schema, as MigratingOrderStore does (the root account creates the table: the
        // control schema of a migration; the migrator's account reads it).
        await using (var control = new MySqlConnector.MySqlConnection(topology.Topology.Clusters[0].Primary.ConnectionString))
        {
            await control.OpenAsync();
            await ControlSchema.EnsureAsync(control, CancellationToken.None);
        }

        await SetWriterP99Async(topology, 800);
        var reasons = new List<string>();
        var mover = new ShardMover(topology.Mover, new ShardMoverOptions
        {
            ChunkSize = 10,
            MaxPause = TimeSpan.FromSeconds(1),
            Throttle = new CopyThrottleOptions { MaxWriterP99 = TimeSpan.FromMilliseconds(200) },
        });
        var progress = new SyncProgress<MoveProgress>(p =>
        {
            if (p.WaitingFor is { } reason)
            {
                lock (reasons)
                {
                    reasons.Add(reason);
                }
            }
        });

        var move = mover.MoveAsync("user:1", "c1", command: null, progress, CancellationToken.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        while (Count(reasons) == 0 && !move.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.False(move.IsCompleted, "the move finished while the writers reported a p99 of 800 ms over a limit of 200 ms");
        string first;
        lock (reasons)
        {
            first = Assert.Single(reasons);
        }

        Assert.Contains("the writers report a p99 of 800 ms (--max-writer-p99-ms 200)", first, StringComparison.Ordinal);
        await Task.Delay(1000);
        Assert.False(move.IsCompleted);

        await SetWriterP99Async(topology, 20);
        var result = await move.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(result.Switched, result.Error);

        var moved = await topology.SnapshotAsync("c1", topology.Mover.Map.GetRoute(ShardDimension.User, 1).Schema);
        Assert.Equal(users.Count, moved["notes"].Count);
    }

    private static int Count(List<string> reasons)
    {
        lock (reasons)
        {
            return reasons.Count;
        }
    }

    private static async Task SetWriterP99Async(ShardMoveTopology topology, double latencyMs)
    {
        await using var control = new MySqlConnector.MySqlConnection(topology.Topology.Clusters[0].Primary.ConnectionString);
        await control.ExecuteAsync(ControlSchema.Acknowledge, new { WriterId = "slow-app", StateVersion = 0L, Host = "test", LatencyP99 = latencyMs });
    }
}

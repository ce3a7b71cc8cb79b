using System.Collections.Concurrent;
using System.Diagnostics;
using ShardKit.Migrations.Commands;
using ShardKit.Migrations.Migration.Moves;
using ShardKit.Migrations.Migration.Throttling;
using ShardKit.Testing;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// Server faults during a shard move under live writers: a replica of the source cluster and one of the target cluster killed
/// with SIGKILL in the middle of the copy, and restarted on the same port and data directory while the copy goes on.
/// </summary>
[Collection("MigrationFaults")]
public sealed class ShardMoveServerFaultTests(ITestOutputHelper output)
{
    // Not a speed target: how long the move may take before the test calls it hung, instead of waiting for ever.
    private static readonly TimeSpan s_hung = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task ReplicasOfTheSourceAndTargetKilledMidCopyAndRestartedStopNeitherTheMoveNorItsWritersAndLoseNothing()
    {
        await using var topology = await ShardMoveTopology.StartAsync(replicas: 1);
        var sourceReplica = topology.Topology.Clusters[0].Replicas[0];
        var targetReplica = topology.Topology.Clusters[1].Replicas[0];
        var workload = new ShardMoveWorkload(topology, shard: 1);
        await workload.SeedAsync(notes: 300, orders: 100);
        var schema = topology.Mover.Map.GetRoute(ShardDimension.User, 1).Schema;
        await WaitForReplicasAsync(topology.Topology);

        var started = Stopwatch.StartNew();
        var lines = new ConcurrentQueue<string>();
        long rowsCopied = 0;
        var waits = new ConcurrentQueue<string>();
        var progress = new SyncProgress<MoveProgress>(p =>
        {
            if (p.Phase == "copy")
            {
                Interlocked.Exchange(ref rowsCopied, p.Done);
            }

            if (p.WaitingFor is { } reason)
            {
                waits.Enqueue(reason);
                Write($"throttle: {reason}");
            }
        });

        // The hook runs between two chunks of the copy, so each fault lands mid-copy, with 10 chunks copied in between. The source
        // replica stays down 3 s more before its restart (the copy held meanwhile, so it is still mid-copy when the replica comes
        // back, seconds behind its primary): the throttle may then hold the copy until the replica has caught up.
        var chunks = 0;
        var faults = new Dictionary<int, (string What, Func<Task> Do)>
        {
            [3] = ($"SIGKILL {sourceReplica.Name} (source c0)", sourceReplica.KillAsync),
            [13] = ($"SIGKILL {targetReplica.Name} (target c1)", targetReplica.KillAsync),
            [23] = ($"restart {sourceReplica.Name} after 3 s more", async () =>
            {
                await Task.Delay(3000);
                await sourceReplica.StartAsync();
            }),
            [33] = ($"restart {targetReplica.Name}", () => targetReplica.StartAsync()),
        };
        var rowsAt = new Dictionary<int, long>();
        var mover = new ShardMover(topology.Mover, new ShardMoverOptions
        {
            ChunkSize = 10,
            MaxPause = TimeSpan.FromSeconds(1),

            // The lag of every replica of both clusters is read before every chunk, and a restarted replica that is 1 s behind holds the copy.
            Throttle = new CopyThrottleOptions { MaxReplicaLag = TimeSpan.FromSeconds(1), CheckInterval = TimeSpan.FromMilliseconds(20), Backoff = TimeSpan.FromMilliseconds(100) },
        })
        {
            Step = async step =>
            {
                if (step == "copy.chunk" && faults.TryGetValue(++chunks, out var fault))
                {
                    rowsAt[chunks] = Interlocked.Read(ref rowsCopied);
                    await fault.Do();
                    Write($"{fault.What} after chunk {chunks} ({rowsAt[chunks]} rows copied)");
                }
            },
        };

        using var stop = new CancellationTokenSource();
        var writers = workload.RunAsync(writers: 4, stop.Token);
        var monitor = new ShardMoveVersionMonitor(topology, shard: 1);
        var watching = monitor.RunAsync(TimeSpan.FromMilliseconds(20), stop.Token);
        await Task.Delay(200);
        var clock = Stopwatch.StartNew();
        var moving = mover.MoveAsync("user:1", "c1", command: null, progress, CancellationToken.None);
        Assert.True(await Task.WhenAny(moving, Task.Delay(s_hung)) == moving, $"the move did not finish within {s_hung.TotalMinutes} minutes (last throttle wait: {waits.LastOrDefault()})\n{Text()}");
        var result = await moving;
        Write($"move: switched {result.Switched} in {clock.Elapsed.TotalSeconds:0.0} s after {chunks} chunks, pause {result.PauseMs:0.0} ms, {result.Error}");
        await Task.Delay(500);
        await stop.CancelAsync();
        await writers;
        await watching;
        await monitor.SampleAsync();

        // Every fault happened in the copy, and the copy went on while each replica was dead (10 chunks apart).
        Assert.True(result.Switched, $"{result.Error}\n{Text()}");
        Assert.True(chunks > 33, $"the copy ended after {chunks} chunks, before the last fault\n{Text()}");
        Assert.True(rowsAt[23] > rowsAt[3] && rowsAt[33] > rowsAt[13], $"no row was copied while a replica was dead\n{Text()}");
        var status = Assert.Single(await mover.StatusAsync("user:1", CancellationToken.None));
        Assert.Equal(("MOVED", (string?)null), (status.State, status.LastError));

        // 0 writer errors, exactly the acknowledged history on the new cluster (0 lost, 0 duplicated or resurrected, every version
        // right), no version ever went backwards where the application reads, both dimensions equal.
        Assert.True(workload.Errors.IsEmpty, $"{string.Join(" | ", workload.Errors)}\n{Text()}");
        Assert.Empty(await workload.CheckAsync("c1", schema));
        Assert.True(monitor.Samples > 10, $"only {monitor.Samples} version samples");
        Assert.Empty(monitor.Backwards);
        Assert.Equal("c1", topology.App.Map.GetRoute(ShardDimension.User, 1).Cluster.Name);
        await topology.AssertDimensionsEqualAsync();

        // Both restarted replicas caught up and hold exactly what their primaries hold: the moved shard on c1, the old copy on c0.
        await WaitForReplicasAsync(topology.Topology);
        foreach (var replica in new[] { sourceReplica, targetReplica })
        {
            Assert.Equal(await replica.Source!.QueryScalarAsync(Digest(schema)), await replica.QueryScalarAsync(Digest(schema)));
        }

        Write($"{workload.Writes} writes, {monitor.Samples} version samples, throttle waits: {waits.Count}");
        output.WriteLine(Text());

        void Write(string line) => lines.Enqueue($"{started.Elapsed.TotalSeconds,6:0.000} {line}");

        string Text() => string.Join("\n", lines);
    }

    /// <summary>Row counts and an order-independent digest of the shard's notes, orders and items.</summary>
    private static string Digest(string schema) => $"""
        SELECT CONCAT(
            (SELECT COUNT(*) FROM `{schema}`.`notes`), ':',
            (SELECT IFNULL(BIT_XOR(CRC32(CONCAT_WS('|', note_id, user_id, body, version))), 0) FROM `{schema}`.`notes`), ':',
            (SELECT COUNT(*) FROM `{schema}`.`orders`), ':',
            (SELECT IFNULL(BIT_XOR(CRC32(CONCAT_WS('|', order_id, version))), 0) FROM `{schema}`.`orders`), ':',
            (SELECT COUNT(*) FROM `{schema}`.`order_items`))
        """;

    private static async Task WaitForReplicasAsync(MariaDbTopology topology)
    {
        foreach (var replica in topology.Clusters.SelectMany(c => c.Replicas))
        {
            await replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
        }
    }
}

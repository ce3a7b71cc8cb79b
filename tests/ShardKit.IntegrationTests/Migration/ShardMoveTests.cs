using System.Diagnostics;
using Dapper;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// <c>shardkit move-shard</c>'s engine against real MariaDB: a user shard moves from c0 to c1 under random writers (raw SQL and
/// the two-dimension store); a stale application is refused by the database; rollback keeps what was written after the cutover.
/// </summary>
public sealed class ShardMoveTests
{
    private readonly ITestOutputHelper _output;

    public ShardMoveTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task MovesAShardUnderRandomWritersWithNothingLostDuplicatedOrResurrectedAndTheApplicationFollows()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var workload = new ShardMoveWorkload(topology, shard: 1);
        await workload.SeedAsync(notes: 300, orders: 150);
        var schema = topology.Mover.Map.GetRoute(ShardDimension.User, 1).Schema;
        var mover = topology.NewMover(chunkSize: 40);

        using var stop = new CancellationTokenSource();
        var writers = workload.RunAsync(writers: 4, stop.Token);
        await Task.Delay(300);
        var clock = Stopwatch.StartNew();
        var result = await mover.MoveAsync("user:1", "c1", command: null, progress: null, CancellationToken.None);
        var moveTime = clock.Elapsed;
        var writesBefore = workload.Writes;
        await Task.Delay(700);
        await stop.CancelAsync();
        await writers;

        var status = (await mover.StatusAsync("user:1", CancellationToken.None))[0];
        _output.WriteLine($"move {moveTime.TotalMilliseconds:0} ms, pause {result.PauseMs:0.0} ms, {status.RowsCopied} rows copied, {status.ChangesApplied} changes applied, {workload.Writes} writes ({workload.Writes - writesBefore} after the cutover)");
        Assert.True(result.Switched, result.Error);
        Assert.Equal("MOVED", status.State);
        Assert.Empty(workload.Errors);
        Assert.True(workload.Writes - writesBefore > 0, "no write reached the moved shard after the cutover");
        Assert.Empty(await workload.CheckAsync("c1", schema));

        // The pause is a figure, not a timed check (docs/benchmarks.md: `migration` reports p50 / p99 / max over many moves under
        // a recorded load); the move's own budget (MaxPause 1 s, else back to COPY and retry) is the engine's. Here: it was measured
        // at the switch and recorded on the move, and the writers above saw no error through it.
        Assert.True(result.PauseMs > 0, "the cutover recorded no pause");
        Assert.Equal(result.PauseMs, status.PauseMs);
        Assert.Equal("c1", topology.App.Map.GetRoute(ShardDimension.User, 1).Cluster.Name);
        Assert.Equal("c0", topology.App.Map.GetRoute(ShardDimension.User, 0).Cluster.Name);
    }

    [Fact]
    public async Task AStaleWriterIsRefusedByTheDatabaseAndRollbackKeepsWritesMadeAfterTheCutover()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var workload = new ShardMoveWorkload(topology, shard: 0);
        await workload.SeedAsync(notes: 30, orders: 20);
        var schema = topology.Mover.Map.GetRoute(ShardDimension.User, 0).Schema;
        var mover = topology.NewMover();
        Assert.True((await mover.MoveAsync("user:0", "c1", command: null, progress: null, CancellationToken.None)).Switched);

        // The stale instance still routes user:0 to c0: the database refuses its write, naming the new cluster.
        var staleRoute = topology.Stale.Map.GetRoute(ShardDimension.User, 0);
        Assert.Equal("c0", staleRoute.Cluster.Name);
        await using (var stale = await topology.Stale.OpenAsync(staleRoute, ShardIntent.Write))
        {
            var refused = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => stale.Connection.ExecuteAsync(
                stale.Sql("INSERT INTO {schema}.`notes` (note_id, user_id, body, version) VALUES (9001, 1, 'stale', 1)")));
            Assert.Equal("45000", refused.SqlState);
            Assert.Contains("user:0 is served by cluster c1", refused.Message, StringComparison.Ordinal);
        }

        var moved = await Assert.ThrowsAsync<ShardKitException>(() => topology.Stale.WriteAsync(m => m.GetRoute(ShardDimension.User, 0), (s, ct) => s.Connection.ExecuteAsync(
            s.Sql("UPDATE {schema}.`notes` SET version = version + 1 WHERE note_id = 0"))));
        Assert.Equal(ShardKitErrorCode.ShardMoved, moved.ErrorCode);
        Assert.True(moved.IsTransient);
        Assert.Equal("user:0", moved.Shard);
        await using (var c0 = await topology.OpenClusterAsync("c0"))
        {
            Assert.Equal(0, await c0.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM `{schema}`.`notes` WHERE note_id = 9001"));
            Assert.Equal(1, await c0.ExecuteScalarAsync<long>($"SELECT version FROM `{schema}`.`notes` WHERE note_id = 0"));
        }

        // Writes after the cutover (create, update, delete; raw SQL and the store) survive a rollback.
        await topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, 0), (s, ct) => s.Connection.ExecuteAsync(
            s.Sql("INSERT INTO {schema}.`notes` (note_id, user_id, body, version) VALUES (7000, 1, 'after', 1)")));
        workload.Notes[7000] = 1;
        await topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, 0), (s, ct) => s.Connection.ExecuteAsync(
            s.Sql("UPDATE {schema}.`notes` SET version = version + 1 WHERE note_id = 2")));
        workload.Notes[2] = 2;
        await topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, 0), (s, ct) => s.Connection.ExecuteAsync(
            s.Sql("DELETE FROM {schema}.`notes` WHERE note_id = 4")));
        workload.Notes[4] = null;
        using (var store = new TwoDimensionOrderStore(topology.App))
        {
            var order = await store.CreateAsync(new Orders.OrderFactory(77, ShardMoveTopology.ShardCount).New(ShardMoveTopology.UsersOf(0, 1)[0], 3));
            workload.Orders[order.Id.Value] = order.Version;
            var victim = workload.Orders.First(o => o.Value == 1 && o.Key != order.Id.Value).Key;
            Assert.True(await store.DeleteAsync(OrderId.Parse(victim, ShardMoveTopology.ShardCount)));
            workload.Orders[victim] = null;
        }

        Assert.Empty(await workload.CheckAsync("c1", schema));
        var back = await mover.RollbackAsync("user:0", command: null, CancellationToken.None);
        Assert.True(back.Switched, back.Error);
        Assert.Equal("REVERSED", (await mover.StatusAsync("user:0", CancellationToken.None))[0].State);
        Assert.Empty(await workload.CheckAsync("c0", schema));
        await WaitForAsync(() => topology.App.Map.GetRoute(ShardDimension.User, 0).Cluster.Name == "c0");

        // c1 refuses now (any writer but the migrator: the application's account here); the application writes on c0 again.
        await using (var c1 = await topology.App.OpenClusterAsync(topology.App.Map.Clusters.Single(c => c.Name == "c1"), CancellationToken.None))
        {
            var refused = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => c1.ExecuteAsync($"DELETE FROM `{schema}`.`notes` WHERE note_id = 0"));
            Assert.Contains("served by cluster c0", refused.Message, StringComparison.Ordinal);
        }

        await topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, 0), (s, ct) => s.Connection.ExecuteAsync(
            s.Sql("UPDATE {schema}.`notes` SET version = version + 1 WHERE note_id = 2")));
        workload.Notes[2] = 3;
        Assert.Empty(await workload.CheckAsync("c0", schema));

        // Complete after a rollback: the copy on c1 is dropped, the triggers on c0 are gone.
        await mover.CompleteAsync("user:0", command: null, CancellationToken.None);
        await using (var c1 = await topology.OpenClusterAsync("c1"))
        {
            Assert.Equal(0, await c1.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = @Schema", new { Schema = schema }));
        }

        await using (var c0 = await topology.OpenClusterAsync("c0"))
        {
            Assert.Equal(0, await c0.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = @Schema", new { Schema = schema }));
            await c0.ExecuteAsync($"UPDATE `{schema}`.`notes` SET version = version + 1 WHERE note_id = 2");
        }
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }
}

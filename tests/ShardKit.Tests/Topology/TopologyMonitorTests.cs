using System.Data;
using Microsoft.Extensions.Options;
using ShardKit.Migration;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Topology;

/// <summary>The topology monitor on its own: the initial state, reloads, placement overrides of moved shards and their polling.</summary>
public sealed class TopologyMonitorTests
{
    private static readonly string s_c0 = TestTopologies.Endpoint(3310);
    private static readonly string s_c1 = TestTopologies.Endpoint(3312);

    [Fact]
    public void TheInitialStateHasEveryClustersPrimaryWithItsPoolAndItsReplicas()
    {
        using var rig = new Collaborators(TestTopologies.DevUp(clusters: 2));

        var state = rig.State;

        Assert.Equal(2, state.Map.Clusters.Count);
        Assert.Equal([s_c0, s_c1], state.Primaries.Select(p => p.Endpoint.ConnectionString));
        Assert.All(state.Replicas, r => Assert.Equal(1, r.Count));
        Assert.Equal([s_c0, s_c1], rig.Provider.DataSources);
        Assert.Equal(4, state.Endpoints().Count());
    }

    [Fact]
    public void AnInvalidInitialTopologyIsInvalidTopology()
    {
        var options = TestTopologies.DevUp(clusters: 1);
        options.Clusters[0].Primary = "";

        var ex = Assert.Throws<ShardKitException>(() => new Collaborators(options));

        Assert.Equal(ShardKitErrorCode.InvalidTopology, ex.ErrorCode);
    }

    [Fact]
    public void AValidReloadSwapsTheStateKeepsTheEndpointsItSharesAndIsAnnounced()
    {
        var monitor = new ManualOptionsMonitor<ShardKitOptions>(TestTopologies.DevUp(clusters: 2));
        using var rig = new Collaborators(null!, monitor);
        var before = rig.State;
        RoutingState? announced = null;
        rig.Topology.Reloaded += state => announced = state;

        var reloaded = TestTopologies.DevUp(clusters: 2);
        reloaded.MapVersion = 2;
        reloaded.ReplicaHealth = new ReplicaHealthOptions { HeartbeatInterval = TimeSpan.FromSeconds(1) };
        monitor.Set(reloaded);

        Assert.NotSame(before, rig.State);
        Assert.Same(rig.State, announced);
        Assert.Equal(2, rig.State.Map.Version);
        Assert.Same(before.Primaries[0], rig.State.Primaries[0]);
        Assert.Equal(TimeSpan.FromSeconds(1), rig.State.Health.HeartbeatInterval);
    }

    [Fact]
    public void AnInvalidReloadKeepsTheStateAndIsNotAnnounced()
    {
        var monitor = new ManualOptionsMonitor<ShardKitOptions>(TestTopologies.DevUp(clusters: 2));
        using var rig = new Collaborators(null!, monitor);
        var before = rig.State;
        var announced = false;
        rig.Topology.Reloaded += _ => announced = true;

        var invalid = TestTopologies.DevUp(clusters: 2);
        invalid.MapVersion = 3;
        invalid.Dimensions.User.Placement = [TestTopologies.Place("0-5", "c9")];
        monitor.Set(invalid);

        Assert.Same(before, rig.State);
        Assert.False(announced);
    }

    [Fact]
    public async Task WithoutShardMovesAPlacementRefreshReadsNothing()
    {
        using var rig = new Collaborators(TestTopologies.DevUp(clusters: 2));

        Assert.False(await rig.Topology.RefreshPlacementAsync(CancellationToken.None));

        Assert.Empty(rig.Server.Executed);
    }

    [Fact]
    public async Task APlacementRefreshRoutesAMovedShardToItsNewClusterOnce()
    {
        var server = new FakeServer();
        var moved = MovedUserShard();
        server.Rows = (cs, sql) => cs == s_c0 && sql == ControlSchema.ReadPlacements ? Placements(("user", moved, "c1", 1)) : null;
        using var rig = new Collaborators(WithMoves(), server: server);
        Assert.Equal("c0", rig.State.Map.GetRoute(ShardDimension.User, moved).Cluster.Name);
        var before = rig.State;

        Assert.True(await rig.Topology.RefreshPlacementAsync(CancellationToken.None));
        Assert.False(await rig.Topology.RefreshPlacementAsync(CancellationToken.None));

        Assert.Equal("c1", rig.State.Map.GetRoute(ShardDimension.User, moved).Cluster.Name);
        Assert.Equal("c0", before.Map.GetRoute(ShardDimension.User, moved).Cluster.Name);
    }

    [Fact]
    public async Task ThePollerPicksUpAMoveEveryPollInterval()
    {
        var server = new FakeServer();
        var moved = MovedUserShard();
        var placed = false;
        server.Rows = (_, sql) => sql == ControlSchema.ReadPlacements ? (Volatile.Read(ref placed) ? Placements(("user", moved, "c1", 1)) : Placements()) : null;
        using var rig = new Collaborators(WithMoves(), server: server);
        await WaitUntilAsync(() => server.Executed.Any(e => e.Sql == ControlSchema.ReadPlacements));

        Volatile.Write(ref placed, true);

        // The poller waits on the manual clock: each step moves it on by one interval.
        await WaitUntilAsync(() => rig.State.Map.GetRoute(ShardDimension.User, moved).Cluster.Name == "c1", () => rig.Time.Advance(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task AReloadKeepsAMovedShardWhereItsPlacementPutIt()
    {
        var server = new FakeServer();
        var moved = MovedUserShard();
        server.Rows = (_, sql) => sql == ControlSchema.ReadPlacements ? Placements(("user", moved, "c1", 1)) : null;
        var monitor = new ManualOptionsMonitor<ShardKitOptions>(WithMoves());
        using var rig = new Collaborators(null!, monitor, server);
        await rig.Topology.RefreshPlacementAsync(CancellationToken.None);

        var reloaded = WithMoves();
        reloaded.MapVersion = 2;
        monitor.Set(reloaded);

        Assert.Equal(2, rig.State.Map.Version);
        Assert.Equal("c1", rig.State.Map.GetRoute(ShardDimension.User, moved).Cluster.Name);
    }

    private static ShardKitOptions WithMoves()
    {
        var options = TestTopologies.DevUp(clusters: 2);
        options.ShardMoves = new ShardMovesOptions { ControlCluster = "c0", PollInterval = TimeSpan.FromSeconds(1) };
        return options;
    }

    private static int MovedUserShard()
    {
        var map = ShardMap.Create(TestTopologies.DevUp(clusters: 2));
        return Enumerable.Range(0, map.GetShardCount(ShardDimension.User)).First(s => map.GetRoute(ShardDimension.User, s).Cluster.Name == "c0");
    }

    private static DataTable Placements(params (string Dimension, int Shard, string Cluster, int Epoch)[] rows)
    {
        var table = new DataTable();
        table.Columns.Add("dimension", typeof(string));
        table.Columns.Add("shard", typeof(int));
        table.Columns.Add("cluster", typeof(string));
        table.Columns.Add("epoch", typeof(int));
        foreach (var row in rows)
        {
            table.Rows.Add(row.Dimension, row.Shard, row.Cluster, row.Epoch);
        }

        return table;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Action? step = null)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            step?.Invoke();
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}

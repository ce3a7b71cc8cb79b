using System.Data;
using ShardKit.Migration;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Topology;

/// <summary>The moved-shard retry on its own: a write a moved shard's fence refuses runs again once the monitor routes the shard to its new cluster.</summary>
public sealed class MovedShardRetryTests
{
    [Fact]
    public async Task ARefusedWriteRunsAgainOnceTheNewPlacementIsSeen()
    {
        var server = new FakeServer();
        var moved = MovedUserShard();

        // The control schema names the new placement only once the move has happened (the monitor's own poll, which
        // starts with the data source, must not see it before the first write is refused).
        var isMoved = false;
        server.Rows = (_, sql) => sql == ControlSchema.ReadPlacements ? Placements(Volatile.Read(ref isMoved) ? moved : null) : null;
        using var rig = new Collaborators(WithMoves(), server: server);
        var retry = new MovedShardRetry(rig.Topology, rig.Time);
        var clusters = new List<string>();

        var result = await retry.RunAsync(
            _ =>
            {
                var cluster = rig.State.Map.GetRoute(ShardDimension.User, moved).Cluster.Name;
                clusters.Add(cluster);
                if (cluster == "c0")
                {
                    Volatile.Write(ref isMoved, true);
                    throw Refusal(moved);
                }

                return Task.FromResult(cluster);
            },
            retryable: true,
            CancellationToken.None);

        Assert.Equal("c1", result);
        Assert.Equal(["c0", "c1"], clusters);
    }

    [Fact]
    public async Task WithoutShardMovesARefusedWriteIsShardMovedAtOnce()
    {
        using var rig = new Collaborators(TestTopologies.DevUp(clusters: 2));
        var retry = new MovedShardRetry(rig.Topology, rig.Time);
        var runs = 0;

        var ex = await Assert.ThrowsAsync<ShardKitException>(() => retry.RunAsync<int>(_ => { runs++; throw Refusal(3); }, retryable: true, CancellationToken.None));

        Assert.Equal(ShardKitErrorCode.ShardMoved, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.Equal("user:3", ex.Shard);
        Assert.Contains("ShardMoves", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task AWriteThatMayNotRunAgainIsShardMovedAtOnce()
    {
        using var rig = new Collaborators(WithMoves());
        var retry = new MovedShardRetry(rig.Topology, rig.Time);
        var runs = 0;

        var ex = await Assert.ThrowsAsync<ShardKitException>(() => retry.RunAsync<int>(_ => { runs++; throw Refusal(3); }, retryable: false, CancellationToken.None));

        Assert.Equal(ShardKitErrorCode.ShardMoved, ex.ErrorCode);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task OtherErrorsAreNotRetried()
    {
        using var rig = new Collaborators(WithMoves());
        var retry = new MovedShardRetry(rig.Topology, rig.Time);
        var runs = 0;

        await Assert.ThrowsAsync<FakeDbException>(() => retry.RunAsync<int>(_ => { runs++; throw new FakeDbException("Deadlock found", "40001"); }, retryable: true, CancellationToken.None));

        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task ALegacyImportsFenceIsNotAMove()
    {
        using var rig = new Collaborators(WithMoves());
        var retry = new MovedShardRetry(rig.Topology, rig.Time);
        var runs = 0;

        await Assert.ThrowsAsync<FakeDbException>(() => retry.RunAsync<int>(
            _ => { runs++; throw new FakeDbException("shardkit-fence user:3 legacy: the legacy database serves bucket 3 of the orders now; write there", "45000"); },
            retryable: true,
            CancellationToken.None));

        Assert.Equal(1, runs);
    }

    private static FakeDbException Refusal(int shard) =>
        new($"shardkit-fence user:{shard} cluster:c1: shard user:{shard} is served by cluster c1; refresh the placement and retry", "45000");

    private static ShardKitOptions WithMoves()
    {
        var options = TestTopologies.DevUp(clusters: 2);
        options.ShardMoves = new ShardMovesOptions { ControlCluster = "c0", PollInterval = TimeSpan.FromMinutes(1) };
        return options;
    }

    private static int MovedUserShard()
    {
        var map = ShardMap.Create(TestTopologies.DevUp(clusters: 2));
        return Enumerable.Range(0, map.GetShardCount(ShardDimension.User)).First(s => map.GetRoute(ShardDimension.User, s).Cluster.Name == "c0");
    }

    private static DataTable Placements(int? userShard)
    {
        var table = new DataTable();
        table.Columns.Add("dimension", typeof(string));
        table.Columns.Add("shard", typeof(int));
        table.Columns.Add("cluster", typeof(string));
        table.Columns.Add("epoch", typeof(int));
        if (userShard is { } shard)
        {
            table.Rows.Add("user", shard, "c1", 1);
        }

        return table;
    }
}

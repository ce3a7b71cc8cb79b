using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Replication;

public sealed class ReadOnlyTransactionAndScopeTests
{
    private const string WaitPrefix = "SELECT MASTER_GTID_WAIT(";
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    private static string Replica0 => TestTopologies.Endpoint(3311);

    [Fact]
    public async Task AReadOnlyTransactionRunsOnTheReplicaAndKeepsTheShardsReadsOnIt()
    {
        await using var shards = Build();
        using var scope = shards.ReadYourWrites();
        var user = UserOn(shards.Map, "c0");
        await using var read = await shards.OpenUserShardAsync(user, ReadPreference.PreferReplica);

        await using var transaction = await read.BeginReadOnlyTransactionAsync();
        await using var again = await shards.OpenUserShardAsync(user, ShardIntent.Read);

        Assert.True(transaction.IsReadOnly);
        Assert.Equal("127.0.0.1:3311", transaction.Endpoint.Address);
        Assert.Same(read.Connection, again.Connection);
        Assert.True(again.IsReplica);
        Assert.Same(transaction.DbTransaction, again.Transaction);
        Assert.Contains((Replica0, "SET TRANSACTION READ ONLY"), _provider.Server.Executed);
        var write = await Assert.ThrowsAsync<InvalidOperationException>(async () => await shards.OpenUserShardAsync(user, ShardIntent.Write));
        Assert.Contains("read-only", write.Message, StringComparison.Ordinal);
        await transaction.CommitAsync();

        // A read-only commit has no write to wait for: no GTID is asked for even inside a read-your-writes scope.
        Assert.DoesNotContain(_provider.Server.Executed, e => e.Sql.Contains("gtid", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task AReadWriteTransactionIsRefusedOnAReplicaConnection()
    {
        await using var shards = Build();
        await using var read = await shards.OpenUserShardAsync(UserOn(shards.Map, "c0"), ReadPreference.ReplicaOnly);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await read.BeginTransactionAsync());

        Assert.Contains("replica 127.0.0.1:3311", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BeginReadOnlyTransactionAsync", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AReadYourWritesScopeAppliesItsLatestTokenOfTheClusterToReadsWithoutOne()
    {
        await using var shards = Build();
        var userOnC0 = UserOn(shards.Map, "c0");
        var userOnC1 = UserOn(shards.Map, "c1");

        using (var scope = shards.ReadYourWrites())
        {
            scope.Add(new CausalToken("c0", "0-1-7"));
            scope.Add(new CausalToken("c0", "0-1-9"));
            await using (await shards.OpenUserShardAsync(userOnC0, ShardIntent.Read))
            {
            }

            await using (await shards.OpenUserShardAsync(userOnC1, ShardIntent.Read))
            {
            }

            Assert.Equal("0-1-9@c0", Assert.Single(scope.Tokens).ToString());
        }

        await using (await shards.OpenUserShardAsync(userOnC0, ShardIntent.Read))
        {
        }

        var waits = _provider.Server.Executed.Where(e => e.Sql.StartsWith(WaitPrefix, StringComparison.Ordinal)).ToList();
        Assert.Equal([(Replica0, "SELECT MASTER_GTID_WAIT('0-1-9', 0.05)")], waits);
    }

    [Fact]
    public async Task ANestedScopeSeesTheOuterTokensAndHandsItsWritesToTheOuterScope()
    {
        await using var shards = Build();
        using var outer = shards.ReadYourWrites();
        outer.Add(new CausalToken("c0", "0-1-1"));

        using (var inner = shards.ReadYourWrites())
        {
            Assert.Equal("0-1-1", inner.GetToken("C0")?.Gtid);
            inner.Add(new CausalToken("c1", "0-2-5"));
        }

        Assert.Equal("0-2-5", outer.GetToken("c1")?.Gtid);
    }

    [Fact]
    public async Task AScopeOpenedInsideAnAsyncMethodFollowsThatFlowOnly()
    {
        await using var shards = Build();

        await Task.Run(() =>
        {
            using var scope = shards.ReadYourWrites();
            scope.Add(new CausalToken("c0", "0-1-3"));
        });

        await using (await shards.OpenUserShardAsync(UserOn(shards.Map, "c0"), ShardIntent.Read))
        {
        }

        Assert.DoesNotContain(_provider.Server.Executed, e => e.Sql.StartsWith(WaitPrefix, StringComparison.Ordinal));
    }

    private ShardKitDataSource Build()
    {
        _provider.Server.Scalar = (_, sql) => sql.StartsWith(WaitPrefix, StringComparison.Ordinal) ? 0L : null;
        return new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(_provider).Build();
    }

    private static long UserOn(ShardMap map, string cluster)
    {
        for (long user = 1; ; user++)
        {
            if (map.RouteUser(user).Cluster.Name == cluster)
            {
                return user;
            }
        }
    }
}

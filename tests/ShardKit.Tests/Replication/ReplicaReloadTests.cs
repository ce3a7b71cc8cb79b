using Microsoft.Extensions.Configuration;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Replication;

public sealed class ReplicaReloadTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    [Fact]
    public async Task AReplicaAddedByAReloadServesReadsAndTheCausalWaitFollowsTheReload()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ShardKit:Clusters:0:Name"] = "c0",
                ["ShardKit:Clusters:0:Primary"] = TestTopologies.Endpoint(3310),
            })
            .Build();
        _provider.Server.Scalar = (_, _) => 0L;
        await using var shards = new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit")).UseProvider(_provider).Build();
        var oldRoute = shards.Map.RouteUser(9);

        await using (var before = await shards.OpenUserShardAsync(9, ShardIntent.Read))
        {
            Assert.False(before.IsReplica);
        }

        configuration["ShardKit:Clusters:0:Replicas:0"] = TestTopologies.Endpoint(3311);
        configuration["ShardKit:CausalReadWait"] = "00:00:01";
        configuration.Reload();

        await using (var after = await shards.OpenUserShardAsync(9, new ReadOptions { CausalToken = new CausalToken("c0", "0-1-5") }))
        {
            Assert.Equal(TestTopologies.Endpoint(3311), after.Connection.ConnectionString);
        }

        // A route of the older map (which had no replica) is read from what that map names: the primary.
        await using (var old = await shards.OpenAsync(oldRoute, ReadPreference.PreferReplica))
        {
            Assert.False(old.IsReplica);
        }

        Assert.Contains((TestTopologies.Endpoint(3311), "SELECT MASTER_GTID_WAIT('0-1-5', 1.0)"), _provider.Server.Executed);
        Assert.Equal([TestTopologies.Endpoint(3310), TestTopologies.Endpoint(3311)], _provider.DataSources);
    }
}

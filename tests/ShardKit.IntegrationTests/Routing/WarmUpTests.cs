using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Routing;

/// <summary>Pre-warming pools before a peak: real connections on every primary and replica.</summary>
[Collection("Topology")]
public sealed class WarmUpTests(TopologyFixture fixture)
{
    [Fact]
    public async Task WarmUpOpensTheRequestedConnectionsOnEveryPrimaryAndReplica()
    {
        var (user, overrides) = await DedicatedAccountAsync();

        // Replica probing off: a probe taking a connection during the warm-up would grow a pool past three.
        var configuration = fixture.ConfigurationFor([.. overrides, ("ShardKit:ReplicaHealth:HeartbeatInterval", "00:00:00")]);
        await using var shards = new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit")).Build();

        var result = await shards.WarmUpAsync(connectionsPerEndpoint: 3);

        Assert.True(result.Succeeded, string.Join("; ", result.Failures));
        Assert.Equal(4, result.Endpoints);
        Assert.Equal(12, result.ConnectionsOpened);
        foreach (var server in fixture.Topology.Clusters.SelectMany(c => c.Replicas.Prepend(c.Primary)))
        {
            // The pools keep the connections open: the server sees exactly three sessions of the account.
            Assert.Equal("3", await server.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '{user}'"));
        }
    }

    [Fact]
    public async Task ADeadReplicaIsNamedAndTheOtherEndpointsAreStillWarmed()
    {
        var (_, overrides) = await DedicatedAccountAsync();
        var closedPort = ClosedLoopbackPort();
        var dead = fixture.Topology.Clusters[1].Replicas[0];
        var deadConnectionString = overrides.Single(o => o.Key == "ShardKit:Clusters:1:Replicas:0").Value!.Replace($"Port={dead.Port}", $"Port={closedPort}", StringComparison.Ordinal);
        var configuration = fixture.ConfigurationFor([.. overrides.Where(o => o.Key != "ShardKit:Clusters:1:Replicas:0"), ("ShardKit:Clusters:1:Replicas:0", deadConnectionString)]);
        await using var shards = new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit")).Build();

        var result = await shards.WarmUpAsync(connectionsPerEndpoint: 2);

        Assert.False(result.Succeeded);
        var failure = Assert.Single(result.Failures);
        Assert.StartsWith($"127.0.0.1:{closedPort}: 0 of 2 connections opened", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Topology.Password, failure, StringComparison.Ordinal);
        Assert.Equal(6, result.ConnectionsOpened);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public async Task AbsurdConnectionCountsAreRefused(int count)
    {
        await using var shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => shards.WarmUpAsync(count));
    }

    /// <summary>A fresh account (so its sessions can be counted) and the configuration overrides that use it everywhere.</summary>
    private async Task<(string User, (string Key, string? Value)[] Overrides)> DedicatedAccountAsync()
    {
        var topology = fixture.Topology;
        var user = "warm_" + Guid.NewGuid().ToString("N")[..8];
        const string password = "warm-up-pw";
        await topology.Clusters[0].Primary.ExecuteAsync($"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; GRANT ALL ON *.* TO '{user}'@'%';");
        await topology.Clusters[1].Primary.ExecuteAsync($"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'; GRANT ALL ON *.* TO '{user}'@'%';");
        foreach (var cluster in topology.Clusters)
        {
            await cluster.WaitForReplicationAsync(TimeSpan.FromSeconds(30));
        }

        string For(MariaDbServer server) => server.ConnectionString.Replace($"User ID={topology.User};Password={topology.Password}", $"User ID={user};Password={password}", StringComparison.Ordinal);
        var overrides = topology.Clusters.SelectMany((c, i) => new (string, string?)[]
        {
            ($"ShardKit:Clusters:{i}:Primary", For(c.Primary)),
            ($"ShardKit:Clusters:{i}:Replicas:0", For(c.Replicas[0])),
        }).ToArray();
        return (user, overrides);
    }

    private static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

using Microsoft.Extensions.Configuration;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Replication;

/// <summary>Two clusters of a primary and two replicas each, with the order schema, for the fault tests.</summary>
public sealed class FaultTopologyFixture : IAsyncLifetime
{
    private MariaDbTopology? _topology;

    public MariaDbTopology Topology => _topology ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>Builds a data source on the topology, with configuration overrides such as <c>("ShardKit:ReplicaHealth:EjectLag", "00:00:01")</c>.</summary>
    public ShardKitDataSource Build(params (string Key, string? Value)[] overrides)
    {
        var json = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Topology.ToConfigurationJson()));
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(json)
            .AddInMemoryCollection(overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)))
            .Build();
        return new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit")).Build();
    }

    /// <summary>Waits until every replica of the data source's map is measured, admitted and behind a closed breaker.</summary>
    public static async Task WaitUntilAllReplicasServeAsync(ShardKitDataSource shards, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var statuses = shards.GetEndpointStatuses();
            if (statuses.Where(s => s.IsReplica).All(s => s is { IsEjected: false, IsCircuitOpen: false, Lag: not null }))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("Replicas not serving: " + string.Join("; ", statuses));
            }

            await Task.Delay(100);
        }
    }

    public async Task InitializeAsync()
    {
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 2 });
        await using var shards = Build();
        var result = await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions());
        Assert.True(result.Succeeded, string.Join("; ", result.Shards.Where(s => s.Error is not null)));
        foreach (var cluster in Topology.Clusters)
        {
            foreach (var replica in cluster.Replicas)
            {
                await replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }
}

using Microsoft.Extensions.Configuration;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Replication;

/// <summary>One cluster of a primary and one replica with the order schema, for the read/write splitting tests.</summary>
public sealed class ReplicaTopologyFixture : IAsyncLifetime
{
    private MariaDbTopology? _topology;
    private ShardKitDataSource? _shards;

    public MariaDbTopology Topology => _topology ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>A data source with the default options (causal read wait 50 ms).</summary>
    public ShardKitDataSource Shards => _shards ?? throw new InvalidOperationException("The fixture has not started.");

    public MariaDbServer Primary => Topology.Clusters[0].Primary;

    public MariaDbServer Replica => Topology.Clusters[0].Replicas[0];

    /// <summary>Builds another data source on the topology, with configuration overrides such as <c>("ShardKit:CausalReadWait", "00:00:05")</c>.</summary>
    public ShardKitDataSource Build(params (string Key, string? Value)[] overrides)
    {
        var json = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Topology.ToConfigurationJson()));
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(json)
            .AddInMemoryCollection(overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)))
            .Build();
        return new ShardKitDataSourceBuilder(configuration.GetSection("ShardKit")).Build();
    }

    public async Task InitializeAsync()
    {
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 1 });
        _shards = Build();
        var result = await new SchemaApplier(_shards).ApplyAsync(new SchemaApplyOptions());
        Assert.True(result.Succeeded, string.Join("; ", result.Shards.Where(s => s.Error is not null)));
        await Replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (_shards is not null)
        {
            await _shards.DisposeAsync();
        }

        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }
}

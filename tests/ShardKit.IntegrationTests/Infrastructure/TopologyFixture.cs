using Microsoft.Extensions.Configuration;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests;

/// <summary>Two clusters of one primary and one replica, plus a legacy server, shared by the "Topology" collection.</summary>
public sealed class TopologyFixture : IAsyncLifetime
{
    private MariaDbTopology? _topology;

    /// <summary>The running topology.</summary>
    public MariaDbTopology Topology => _topology ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>
    /// The topology as configuration (the same JSON <c>shardkit dev up</c> writes), with optional overrides laid on top,
    /// e.g. <c>("ShardKit:MapVersion", "2")</c>.
    /// </summary>
    public IConfiguration ConfigurationFor(params (string Key, string? Value)[] overrides)
    {
        var json = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Topology.ToConfigurationJson()));
        return new ConfigurationBuilder()
            .AddJsonStream(json)
            .AddInMemoryCollection(overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)))
            .Build();
    }

    public async Task InitializeAsync() =>
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 1, Legacy = true });

    public async Task DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }
}

[CollectionDefinition("Topology")]
public sealed class TopologyCollection : ICollectionFixture<TopologyFixture>;

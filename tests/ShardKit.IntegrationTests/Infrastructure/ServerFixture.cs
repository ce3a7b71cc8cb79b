using ShardKit.Testing;

namespace ShardKit.IntegrationTests;

/// <summary>One MariaDB server shared by every test in the "Server" collection (driver tests).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private MariaDbTopology? _topology;

    /// <summary>The topology holding the one server.</summary>
    public MariaDbTopology Topology => _topology ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>The server.</summary>
    public MariaDbServer Server => Topology.Clusters[0].Primary;

    /// <summary>A connection string for the application account on <see cref="Server"/>.</summary>
    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync() =>
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 0 });

    public async Task DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }
}

[CollectionDefinition("Server")]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>;

using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Orders;

/// <summary>
/// A topology of its own for the fault tests (they kill servers, so they do not share the "Topology" fixture):
/// two clusters without replicas, 8 shards per dimension, every user shard on c0 and every merchant shard on c1,
/// so killing c1 takes the merchant dimension down and leaves the user dimension up.
/// </summary>
public sealed class SplitTopologyFixture : IAsyncLifetime
{
    public const int ShardCount = 8;
    private MariaDbTopology? _topology;

    public MariaDbTopology Topology => _topology ?? throw new InvalidOperationException("The fixture has not started.");

    public MariaDbServer MerchantPrimary => Topology.Clusters[1].Primary;

    public string ConfigPath { get; private set; } = "";

    public IConfigurationSection Section => new ConfigurationBuilder().AddJsonFile(ConfigPath).Build().GetSection("ShardKit");

    public async Task InitializeAsync()
    {
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Tls = false });
        var json = JsonNode.Parse(_topology.ToConfigurationJson())!;
        json["ShardKit"]!["Dimensions"] = new JsonObject
        {
            ["User"] = Dimension("c0"),
            ["Merchant"] = Dimension("c1"),
        };
        ConfigPath = Path.Combine(_topology.Directory, "split-topology.json");
        await File.WriteAllTextAsync(ConfigPath, json.ToJsonString());

        await using var shards = new ShardKitDataSourceBuilder(Section).Build();
        using var store = new TwoDimensionOrderStore(shards);
        await store.EnsureSchemaAsync();
    }

    public async Task DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }

    private static JsonObject Dimension(string cluster) => new()
    {
        ["ShardCount"] = ShardCount,
        ["Placement"] = new JsonArray(new JsonObject { ["Shards"] = $"0-{ShardCount - 1}", ["Cluster"] = cluster }),
    };
}

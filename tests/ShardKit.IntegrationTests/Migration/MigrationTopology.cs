using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ShardKit.Migrations.Migration;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// A topology of its own per migration test (a migration is one-way state): two clusters without replicas, 8 shards per
/// dimension spread over both, and a legacy server seeded with order history.
/// </summary>
internal sealed class MigrationTopology : IAsyncDisposable
{
    public const int ShardCount = 8;
    public const int Users = 60;
    public const int Merchants = 25;

    private MigrationTopology(MariaDbTopology topology, string configPath, ShardKitOptions options, ShardKitDataSource shards, ShardKitDataSource app, int legacyOrders)
    {
        Topology = topology;
        ConfigPath = configPath;
        Options = options;
        Shards = shards;
        App = app;
        LegacyOrders = legacyOrders;
    }

    public MariaDbTopology Topology { get; }

    /// <summary>The migrator's configuration (the topology's migrator account, no SUPER), for the CLI.</summary>
    public string ConfigPath { get; }

    public ShardKitOptions Options { get; }

    /// <summary>The migrator's data source: the topology's migrator account, with exactly the grants docs/migration.md lists.</summary>
    public ShardKitDataSource Shards { get; }

    /// <summary>The application's data source (the application's account), for its stores.</summary>
    public ShardKitDataSource App { get; }

    public int LegacyOrders { get; }

    public MariaDbServer Legacy => Topology.Legacy!;

    /// <summary>Starts the topology: <paramref name="replicas"/> per cluster, <paramref name="legacyReplicas"/> GTID replicas of the legacy server (in the configuration's <c>LegacyReplicas</c>).</summary>
    public static async Task<MigrationTopology> StartAsync(int legacyOrders, int replicas = 0, int legacyReplicas = 0)
    {
        var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = replicas, Legacy = true, LegacyReplicas = legacyReplicas, Tls = false });
        try
        {
            await topology.Legacy!.ExecuteAsync(LegacySeed.Script(legacyOrders, Users, Merchants, seed: 42));
            var configPath = await WriteConfigAsync(topology.ToMigratorConfigurationJson(), topology.Legacy.MigratorConnectionString, Path.Combine(topology.Directory, "migration-topology.json"));
            var appConfigPath = await WriteConfigAsync(topology.ToConfigurationJson(), topology.Legacy.ConnectionString, Path.Combine(topology.Directory, "migration-app.json"));
            var options = Load(configPath);
            return new MigrationTopology(topology, configPath, options, new ShardKitDataSourceBuilder(options).UseMigratorSessions().Build(), new ShardKitDataSourceBuilder(Load(appConfigPath)).Build(), legacyOrders);
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    public Migrator NewMigrator(int chunkSize = 200, int cutoverAttempts = 5) =>
        new(Shards, new MigratorOptions { ChunkSize = chunkSize, AcknowledgeTimeout = TimeSpan.FromSeconds(10), CutoverAttempts = cutoverAttempts });

    public MigratingOrderStore NewStore(int workerId, TimeSpan? pollInterval = null) => new(
        App,
        new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = workerId, ShardCount = ShardCount }),
        new MigratingOrderStoreOptions { PollInterval = pollInterval ?? TimeSpan.FromMilliseconds(200), WriterId = $"test-writer-{workerId}" });

    public OrderIdGenerator Ids(int workerId) => new(new OrderIdGeneratorOptions { WorkerId = workerId, ShardCount = ShardCount });

    /// <summary>Reads an order straight from its user shard (no fence, no routing hint).</summary>
    public async Task<OrderRecord?> ReadTargetAsync(OrderId id)
    {
        using var store = new TwoDimensionOrderStore(App);
        return await store.GetAsync(id);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Shards.DisposeAsync();
        await Topology.DisposeAsync();
    }

    private static async Task<string> WriteConfigAsync(string topologyJson, string legacyConnectionString, string path)
    {
        var json = JsonNode.Parse(topologyJson)!;
        json["ShardKit"]![nameof(ShardKitOptions.Legacy)] = legacyConnectionString + ";Database=" + LegacySeed.Database;
        if (json["ShardKit"]![nameof(ShardKitOptions.LegacyReplicas)] is JsonArray legacyReplicas)
        {
            for (var i = 0; i < legacyReplicas.Count; i++)
            {
                legacyReplicas[i] = legacyReplicas[i]!.GetValue<string>() + ";Database=" + LegacySeed.Database;
            }
        }
        json["ShardKit"]!["Dimensions"] = new JsonObject { ["User"] = Dimension(), ["Merchant"] = Dimension() };
        await File.WriteAllTextAsync(path, json.ToJsonString());
        return path;
    }

    /// <summary>Binds the <c>ShardKit</c> section of a configuration file, as a service does.</summary>
    public static ShardKitOptions Load(string path)
    {
        var options = new ShardKitOptions();
        new ConfigurationBuilder().AddJsonFile(path).Build().GetSection("ShardKit").Bind(options);
        return options;
    }

    /// <summary>A dimension of <see cref="ShardCount"/> shards, the first half on c0 and the rest on c1.</summary>
    public static JsonObject Dimension() => new()
    {
        ["ShardCount"] = ShardCount,
        ["Placement"] = new JsonArray(
            new JsonObject { [nameof(Shards)] = "0-3", ["Cluster"] = "c0" },
            new JsonObject { [nameof(Shards)] = "4-7", ["Cluster"] = "c1" }),
    };
}

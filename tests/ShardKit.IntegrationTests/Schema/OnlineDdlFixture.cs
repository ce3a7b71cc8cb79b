using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ShardKit.Migrations.Commands;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Schema;

/// <summary>
/// Two clusters with one replica each, 8 shards per dimension (user and merchant 0-3 on c0, 4-7 on c1), holding the
/// built-in order schema (from <c>shardkit schema apply</c>). Each test changes columns of its own.
/// </summary>
public sealed class OnlineDdlFixture : IAsyncLifetime
{
    public const int ShardCount = 8;
    private readonly Dictionary<string, string> _schemas = new(StringComparer.Ordinal);
    private MariaDbTopology? _topology;

    public MariaDbTopology Topology => _topology ?? throw new InvalidOperationException("The fixture has not started.");

    public string ConfigPath { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 1, Tls = false });
        var json = JsonNode.Parse(_topology.ToConfigurationJson())!;
        json["ShardKit"]!["Dimensions"] = new JsonObject { ["User"] = Dimension(), ["Merchant"] = Dimension() };
        ConfigPath = Path.Combine(_topology.Directory, "online-ddl.json");
        await File.WriteAllTextAsync(ConfigPath, json.ToJsonString());
        await using (var dataSource = Build())
        {
            foreach (var route in dataSource.Map.GetRoutes(ShardDimension.User).Concat(dataSource.Map.GetRoutes(ShardDimension.Merchant)))
            {
                _schemas[route.Name] = route.Schema;
            }
        }

        var (exitCode, _, error) = await RunAsync("apply", "--config", ConfigPath, "--parallel", "4");
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"shardkit schema apply failed ({exitCode}): {error}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }

    /// <summary>Runs <c>shardkit schema ...</c> in this process.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await SchemaCommand.Create().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Writes <paramref name="sql"/> to a file of its own and returns the path.</summary>
    public async Task<string> WriteScriptAsync(string sql)
    {
        var path = Path.Combine(Topology.Directory, $"ddl-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(path, sql);
        return path;
    }

    /// <summary>The type of <c>orders.<paramref name="column"/></c> on every shard (primaries), "-" where it is missing, as <c>user:0=int</c>.</summary>
    public async Task<Dictionary<string, string>> ColumnTypesAsync(string column)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dimension in new[] { "user", "merchant" })
        {
            for (var shard = 0; shard < ShardCount; shard++)
            {
                var server = Topology.Clusters[shard < 4 ? 0 : 1].Primary;
                var type = await server.QueryScalarAsync(
                    $"SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{Schema(dimension, shard)}' AND TABLE_NAME = 'orders' AND COLUMN_NAME = '{column}'");
                types[$"{dimension}:{shard}"] = type ?? "-";
            }
        }

        return types;
    }

    /// <summary>The schema (database) of a shard, as the map names it.</summary>
    public string Schema(string dimension, int shard) => _schemas[$"{dimension}:{shard}"];

    /// <summary>A data source over this topology.</summary>
    public ShardKitDataSource Build() =>
        new ShardKitDataSourceBuilder(new ConfigurationBuilder().AddJsonFile(ConfigPath).Build().GetSection("ShardKit")).Build();

    private static JsonObject Dimension() => new()
    {
        ["ShardCount"] = ShardCount,
        ["Placement"] = new JsonArray(
            new JsonObject { ["Shards"] = "0-3", ["Cluster"] = "c0" },
            new JsonObject { ["Shards"] = "4-7", ["Cluster"] = "c1" }),
    };
}

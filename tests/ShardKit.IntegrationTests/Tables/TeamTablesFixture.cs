using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ShardKit.Migrations.Commands;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Tables;

/// <summary>
/// Two clusters without replicas, 4 shards per dimension on each, holding <see cref="TeamSchema"/>'s tables (created
/// with <c>shardkit schema apply --sql</c> per dimension, through the declared placeholders).
/// </summary>
public sealed class TeamTablesFixture : IAsyncLifetime
{
    public const int ShardCount = 8;
    private MariaDbTopology? _topology;

    public MariaDbTopology Topology => _topology ?? throw new InvalidOperationException("The fixture has not started.");

    /// <summary>The topology with the team's declaration.</summary>
    public string ConfigPath { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Tls = false });
        ConfigPath = await WriteConfigAsync("team-tables.json", TeamSchema.Declaration());
        foreach (var (dimension, ddl) in new[] { ("user", TeamSchema.UserDdl), ("merchant", TeamSchema.MerchantDdl) })
        {
            var script = Path.Combine(Topology.Directory, $"team-{dimension}.sql");
            await File.WriteAllTextAsync(script, ddl);
            var (exitCode, _, error) = await RunAsync(SchemaCommand.Create(), "apply", "--config", ConfigPath, "--sql", script, "--dimension", dimension);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"shardkit schema apply failed ({exitCode}): {error}");
            }
        }
    }

    /// <summary>Writes this topology with <paramref name="tables"/> as its <c>Tables</c> section (none: the built-in schema).</summary>
    public async Task<string> WriteConfigAsync(string name, JsonObject? tables)
    {
        var json = JsonNode.Parse(Topology.ToConfigurationJson())!;
        json["ShardKit"]!["Dimensions"] = new JsonObject { ["User"] = Dimension(), ["Merchant"] = Dimension() };
        if (tables is not null)
        {
            json["ShardKit"]!["Tables"] = tables;
        }

        var path = Path.Combine(Topology.Directory, name);
        await File.WriteAllTextAsync(path, json.ToJsonString());
        return path;
    }

    /// <summary>
    /// A data source on the team's declaration, with ShardKit's own tables (tombstones, mappings) next to the team's (the fixture
    /// applied only the team's DDL; idempotent).
    /// </summary>
    public async Task<ShardKitDataSource> OpenDataSourceAsync()
    {
        var options = new ShardKitOptions();
        new ConfigurationBuilder().AddJsonFile(ConfigPath).Build().GetSection("ShardKit").Bind(options);
        var shards = new ShardKitDataSourceBuilder(options).Build();
        using var store = new TwoDimensionOrderStore(shards);
        await store.EnsureSchemaAsync();
        return shards;
    }

    public async Task DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(System.CommandLine.Command command, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await command.Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private static JsonObject Dimension() => new()
    {
        ["ShardCount"] = ShardCount,
        ["Placement"] = new JsonArray(
            new JsonObject { ["Shards"] = "0-3", ["Cluster"] = "c0" },
            new JsonObject { ["Shards"] = "4-7", ["Cluster"] = "c1" }),
    };
}

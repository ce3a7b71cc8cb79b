using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ShardKit.Migrations.Commands;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.AlternateKeys;

/// <summary>
/// A topology of its own whose schema comes only from <c>shardkit schema apply</c> (never from
/// <see cref="TwoDimensionOrderStore.EnsureSchemaAsync"/>): one cluster without replicas, 8 shards per dimension, so
/// the verify commands see exactly what the tests wrote.
/// </summary>
public sealed class SchemaOnlyTopologyFixture : IAsyncLifetime
{
    public const int ShardCount = 8;
    private MariaDbTopology? _topology;

    public MariaDbTopology Topology => _topology ?? throw new InvalidOperationException("The fixture has not started.");

    public string ConfigPath { get; private set; } = "";

    public string SchemaApplyOutput { get; private set; } = "";

    public IConfigurationSection Section => new ConfigurationBuilder().AddJsonFile(ConfigPath).Build().GetSection("ShardKit");

    public async Task InitializeAsync()
    {
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 0, Tls = false });
        var json = JsonNode.Parse(_topology.ToConfigurationJson())!;
        json["ShardKit"]!["Dimensions"] = new JsonObject { ["User"] = Dimension(), ["Merchant"] = Dimension() };
        ConfigPath = Path.Combine(_topology.Directory, "schema-only-topology.json");
        await File.WriteAllTextAsync(ConfigPath, json.ToJsonString());

        var (exitCode, output, error) = await RunAsync(SchemaCommand.Create(), "apply", "--config", ConfigPath);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"shardkit schema apply failed ({exitCode}): {error}");
        }

        SchemaApplyOutput = output;
    }

    public async Task DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(Command command, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await command.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }

    private static JsonObject Dimension() => new()
    {
        ["ShardCount"] = ShardCount,
        ["Placement"] = new JsonArray(new JsonObject { ["Shards"] = $"0-{ShardCount - 1}", ["Cluster"] = "c0" }),
    };
}

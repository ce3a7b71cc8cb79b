using System.CommandLine;
using System.Text.Json;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.Samples;

/// <summary><c>shardkit bench</c> against a real topology.</summary>
[Collection("Topology")]
public sealed class BenchCommandTopologyTests(TopologyFixture fixture) : IDisposable
{
    private const int WorkerId = 254;
    private readonly string _directory = Directory.CreateTempSubdirectory("shardkit-bench-").FullName;

    [Fact]
    public async Task ReportsThroughputAndExactlyTheOrdersItWroteOnEachUserShard()
    {
        await using (var shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build())
        {
            Assert.True((await new SchemaApplier(shards).ApplyAsync()).Succeeded);
        }

        var config = Path.Combine(_directory, "topo.json");
        await fixture.Topology.WriteConfigurationAsync(config);
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await BenchCommand.Create()
            .Parse(["--config", config, "--duration", "2", "--concurrency", "4", "--worker-id", WorkerId.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error });

        Assert.True(exitCode == 0, error.ToString());
        using var report = JsonDocument.Parse(output.ToString());
        var root = report.RootElement;
        Assert.True(root.GetProperty("throughput").GetDouble() > 0);
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        var operations = root.GetProperty("perOperation").EnumerateArray().ToDictionary(o => o.GetProperty("operation").GetString()!);
        Assert.Equal(["create", "get", "list", "merchant-list"], operations.Keys.Order());
        foreach (var operation in operations.Values)
        {
            Assert.True(operation.GetProperty("count").GetInt64() > 0, operation.ToString());
            Assert.True(operation.GetProperty("p50Ms").GetDouble() > 0, operation.ToString());
            Assert.True(operation.GetProperty("p99Ms").GetDouble() >= operation.GetProperty("p50Ms").GetDouble(), operation.ToString());
        }

        var distribution = root.GetProperty("distribution");
        var perShard = distribution.GetProperty("perShard").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var created = operations["create"].GetProperty("count").GetInt64();
        Assert.Equal(120, perShard.Length);
        Assert.Equal(created, perShard.Sum());
        Assert.Equal(created, distribution.GetProperty("orders").GetInt64());
        Assert.Equal(perShard.Count(c => c > 0), distribution.GetProperty("shardsWritten").GetInt32());
        Assert.Equal(created, distribution.GetProperty("clusters").EnumerateArray().Sum(c => c.GetProperty("orders").GetInt64()));

        // On the servers, the orders of this worker ID per user shard are exactly what the report says.
        var stored = new long[120];
        var map = ShardMap.Create(BindOptions());
        foreach (var cluster in fixture.Topology.Clusters)
        {
            var schemas = map.GetRoutes(ShardDimension.User).Where(r => r.Cluster.Name == cluster.Name).ToList();
            var sql = string.Join(" UNION ALL ", schemas.Select(r => $"SELECT {r.Shard}, order_id FROM `{r.Schema}`.orders"));
            foreach (var line in (await cluster.Primary.ExecuteAsync(sql)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var columns = line.Split('\t');
                if (OrderId.Parse(long.Parse(columns[1], System.Globalization.CultureInfo.InvariantCulture)).WorkerId == WorkerId)
                {
                    stored[int.Parse(columns[0], System.Globalization.CultureInfo.InvariantCulture)]++;
                }
            }
        }

        Assert.Equal(perShard, stored);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private ShardKitOptions BindOptions()
    {
        var options = new ShardKitOptions();
        Microsoft.Extensions.Configuration.ConfigurationBinder.Bind(fixture.ConfigurationFor().GetSection("ShardKit"), options);
        return options;
    }
}

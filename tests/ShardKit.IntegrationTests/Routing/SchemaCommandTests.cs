using System.CommandLine;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.Routing;

/// <summary><c>shardkit schema apply</c> and <c>shardkit route</c> against the real topology file.</summary>
[Collection("Topology")]
public sealed class SchemaCommandTests(TopologyFixture fixture) : IAsyncLifetime
{
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"shardkit-topo-{Guid.NewGuid():N}.json");

    public Task InitializeAsync() => fixture.Topology.WriteConfigurationAsync(_config);

    public Task DisposeAsync()
    {
        File.Delete(_config);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task SchemaApplyCoversAll240ShardsThenFindsNothingLeftToDo()
    {
        var (firstExit, firstOutput, firstError) = await RunAsync(SchemaCommand.Create(), "apply", "--config", _config, "--parallel", "8");
        var (secondExit, secondOutput, _) = await RunAsync(SchemaCommand.Create(), "apply", "--config", _config);

        Assert.Equal(0, firstExit);
        Assert.Equal("", firstError);
        Assert.Matches(@"script [0-9a-f]{12}: \d+ applied, \d+ already done, 0 failed", firstOutput);
        Assert.Equal(0, secondExit);
        Assert.Matches(@"script [0-9a-f]{12}: 0 applied, 240 already done, 0 failed", secondOutput);
    }

    [Fact]
    public async Task SchemaApplyOfABrokenScriptStopsAtTheCanaryNamesItAndExitsWithOne()
    {
        var sql = Path.Combine(Path.GetTempPath(), $"shardkit-bad-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(sql, "ALTER TABLE {orders} ADD COLUMN broken NOSUCHTYPE;");
        try
        {
            var (exitCode, _, error) = await RunAsync(SchemaCommand.Create(), "apply", "--config", _config, "--sql", sql, "--dimension", "user");

            // The canary (user:0) fails alone; the roll-out stops there and names the shards it did not start.
            Assert.Equal(1, exitCode);
            var lines = error.Trim().Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("failed: user:0 on c0", lines[0], StringComparison.Ordinal);
            Assert.Contains("NOSUCHTYPE", lines[0], StringComparison.OrdinalIgnoreCase);
            Assert.StartsWith("stopped at the first failure: 119 shard(s) not started (user:1-119)", lines[1], StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Topology.Password, error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(sql);
        }
    }

    [Fact]
    public async Task RoutePrintsTheRealEndpointWithThePasswordRedacted()
    {
        var (exitCode, output, _) = await RunAsync(RouteCommand.Create(), "--config", _config, "--user-id", "42");

        Assert.Equal(0, exitCode);
        var expectedPort = fixture.Topology.Clusters[ShardFunctions.UserShard(42, 120) < 60 ? 0 : 1].Primary.Port;
        Assert.Contains($"endpoint 127.0.0.1:{expectedPort}", output, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Topology.Password, output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(Command command, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await command.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}

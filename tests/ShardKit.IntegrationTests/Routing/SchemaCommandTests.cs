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
    public async Task SchemaApplyOfABrokenScriptNamesEachFailedShardAndExitsWithOne()
    {
        var sql = Path.Combine(Path.GetTempPath(), $"shardkit-bad-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(sql, "ALTER TABLE {orders} ADD COLUMN broken NOSUCHTYPE;");
        try
        {
            var (exitCode, _, error) = await RunAsync(SchemaCommand.Create(), "apply", "--config", _config, "--sql", sql, "--dimension", "user");

            Assert.Equal(1, exitCode);
            var failures = error.Trim().Split('\n');
            Assert.Equal(120, failures.Length);
            Assert.All(failures, line => Assert.StartsWith("failed: user:", line, StringComparison.Ordinal));
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

using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ShardKit.Migrations;

namespace ShardKit.IntegrationTests.Cli;

/// <summary>The tool's exit codes against real servers: a wrong password is not an unreachable server.</summary>
[Collection("Topology")]
public sealed class CliErrorTests(TopologyFixture fixture) : IAsyncLifetime
{
    private const string WrongPassword = "Wr0ng-Pa55word";
    private readonly string _directory = Directory.CreateTempSubdirectory("shardkit-cli-errors-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AWrongPasswordIsAnAuthenticationFailureWithExitCodeTwoAndNeverShowsThePassword()
    {
        var config = await WriteConfigWithPasswordAsync(WrongPassword);

        var (exitCode, output, error) = await RunAsync("migrate", "status", "--config", config);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.StartsWith("error: authentication failed: ", error, StringComparison.Ordinal);
        Assert.Contains("Access denied", error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot be reached", error, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("resume", error, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPassword, output + error, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Topology.Password, output + error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task WithJsonAWrongPasswordIsAJsonError()
    {
        var config = await WriteConfigWithPasswordAsync(WrongPassword);

        var (exitCode, output, _) = await RunAsync("move-shard", "status", "--config", config, "--json");

        Assert.Equal(ExitCodes.Usage, exitCode);
        var body = JsonDocument.Parse(output).RootElement.GetProperty("error");
        Assert.Equal("usage", body.GetProperty("code").GetString());
        Assert.StartsWith("authentication failed: ", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPassword, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerThatIsNotListeningIsUnreachableWithExitCodeThree()
    {
        // Every endpoint on its own low port that nothing listens on (refused at once).
        var json = fixture.Topology.ToConfigurationJson();
        var closed = 1;
        foreach (var server in fixture.Topology.Servers)
        {
            json = json.Replace($"Port={server.Port};", $"Port={closed++};", StringComparison.Ordinal);
        }

        var config = Path.Combine(_directory, "down.json");
        await File.WriteAllTextAsync(config, WithLegacyDatabase(json));

        var (exitCode, _, error) = await RunAsync("migrate", "status", "--config", config);

        Assert.True(exitCode == ExitCodes.Unreachable, error);
        Assert.Contains("Cannot be reached now", error, StringComparison.Ordinal);
    }

    private async Task<string> WriteConfigWithPasswordAsync(string password)
    {
        var path = Path.Combine(_directory, "topo.json");
        await File.WriteAllTextAsync(path, WithLegacyDatabase(fixture.Topology.ToConfigurationJson()).Replace(fixture.Topology.Password, password, StringComparison.Ordinal));
        return path;
    }

    /// <summary>The migration needs the legacy connection string to name its database.</summary>
    private static string WithLegacyDatabase(string json)
    {
        var root = JsonNode.Parse(json)!;
        if (root["ShardKit"]!["Legacy"] is { } legacy)
        {
            root["ShardKit"]!["Legacy"] = legacy.GetValue<string>() + ";Database=legacy";
        }

        return root.ToJsonString();
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await ShardKitCli.InvokeAsync(ShardKitCli.CreateRootCommand(), args, new InvocationConfiguration { Output = output, Error = error }, CancellationToken.None);
        return (exitCode, output.ToString(), error.ToString());
    }
}

using ShardKit.Migrations.Commands;

namespace ShardKit.Tests.Cli;

public sealed class VerifyCommandTests
{
    [Fact]
    public async Task AMissingConfigFileFailsWithOneLineNamingIt()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync(VerifyCommand.Create(), "dimensions", "--config", "/nonexistent/topo.json");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: the config file '/nonexistent/topo.json' does not exist.", error.Trim());
    }

    [Fact]
    public async Task AnInvalidTopologyFailsBeforeContactingAnyServer()
    {
        using var runner = new CliRunner();
        var path = runner.WriteConfig("""{"ShardKit":{"Clusters":[]}}""");

        var (exitCode, _, error) = await CliRunner.RunAsync(VerifyCommand.Create(), "dimensions", "--config", path);

        Assert.Equal(2, exitCode);
        Assert.Contains("Clusters is empty", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigIsRequired()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync(VerifyCommand.Create(), "dimensions", "--repair");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--config", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyMappingsWithAMissingConfigFileFailsWithOneLineNamingIt()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync(VerifyCommand.Create(), "mappings", "--config", "/nonexistent/topo.json", "--repair");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: the config file '/nonexistent/topo.json' does not exist.", error.Trim());
    }

    [Fact]
    public async Task VerifyMappingsRequiresConfig()
    {
        var (exitCode, output, _) = await CliRunner.RunAsync(VerifyCommand.Create(), "mappings", "--json");

        // With --json the error is a JSON object on standard output.
        Assert.NotEqual(0, exitCode);
        Assert.Contains("--config", output, StringComparison.Ordinal);
    }
}

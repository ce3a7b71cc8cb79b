using ShardKit.Migrations.Commands;

namespace ShardKit.Tests.Cli;

public sealed class SchemaCommandTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task RefusesAMissingConfigFile()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync(SchemaCommand.Create(), "apply", "--config", "/nonexistent/topo.json");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: the config file '/nonexistent/topo.json' does not exist.", error.Trim());
    }

    [Fact]
    public async Task StatusRefusesAMissingConfigFile()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync(SchemaCommand.Create(), "status", "--config", "/nonexistent/topo.json");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: the config file '/nonexistent/topo.json' does not exist.", error.Trim());
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("86401")]
    public async Task RefusesAReplicaLagLimitOutOfRange(string seconds)
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunAsync(SchemaCommand.Create(), "apply", "--config", config, "--max-replica-lag", seconds);

        Assert.Equal(2, exitCode);
        Assert.Contains($"--max-replica-lag must be between 0 and 86400; got {seconds}.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAMissingSqlFile()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunAsync(SchemaCommand.Create(), "apply", "--config", config, "--sql", "/nonexistent/alter.sql");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: the SQL file '/nonexistent/alter.sql' does not exist.", error.Trim());
    }

    [Fact]
    public async Task RefusesAnInvalidTopologyBeforeTouchingAnyServer()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson.Replace("\"c1\"", "\"c0\"", StringComparison.Ordinal));

        var (exitCode, _, error) = await CliRunner.RunAsync(SchemaCommand.Create(), "apply", "--config", config);

        Assert.Equal(2, exitCode);
        Assert.Contains("cluster name 'c0' is used by more than one cluster", error, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--dimension", "shop")]
    [InlineData("--parallel", "0")]
    [InlineData("--parallel", "65")]
    public async Task RefusesBadOptionsAsUsageErrors(string option, string value)
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunAsync(SchemaCommand.Create(), "apply", "--config", config, option, value);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(value, error, StringComparison.Ordinal);
    }
}

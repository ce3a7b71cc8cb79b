using System.Text.Json;
using ShardKit.Migrations.Commands;

namespace ShardKit.Tests.Cli;

public sealed class RouteCommandTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task PrintsTheUserShardClusterEndpointAndSchemaWithoutThePassword()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);
        var shard = ShardFunctions.UserShard(42, 120);

        var (exitCode, output, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", config, "--user-id", "42");

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        Assert.Contains($"user:{shard}  cluster {(shard < 60 ? "c0" : "c1")}  endpoint 127.0.0.1:{(shard < 60 ? 3310 : 3312)}  schema sk_user_{shard:000}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrintsBothRoutesOfAnOrderIdAsJson()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);
        var orderId = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1 }).Next(1001, 2002);

        var (exitCode, output, _) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", config, "--order-id", orderId.Value.ToString(), "--json");

        Assert.Equal(0, exitCode);
        using var json = JsonDocument.Parse(output);
        var routes = json.RootElement.GetProperty("routes");
        Assert.Equal(2, routes.GetArrayLength());
        Assert.Equal("user", routes[0].GetProperty("dimension").GetString());
        Assert.Equal(ShardFunctions.UserShard(1001, 120), routes[0].GetProperty("shard").GetInt32());
        Assert.Equal("merchant", routes[1].GetProperty("dimension").GetString());
        Assert.Equal(ShardFunctions.MerchantShard(2002, 120), routes[1].GetProperty("shard").GetInt32());
        Assert.Contains("***", routes[1].GetProperty("connectionString").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--user-id", "0")]
    [InlineData("--merchant-id", "-5")]
    public async Task RefusesANonPositiveIdWithUsageExitCode(string option, string value)
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, output, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", config, option, value);

        Assert.Equal(2, exitCode);
        Assert.Equal($"error: {option} must be a positive number, not {value}.", error.Trim());
        Assert.Equal("", output);
    }

    [Fact]
    public async Task RefusesANumberThatIsNotAShardKitOrderId()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", config, "--order-id", "12345");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAMissingShardKey()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", config);

        Assert.Equal(2, exitCode);
        Assert.Equal("error: give a shard key: --user-id, --merchant-id or --order-id.", error.Trim());
    }

    [Fact]
    public async Task RefusesTwoShardKeys()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", config, "--user-id", "1", "--merchant-id", "2");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: give exactly one shard key, not --user-id and --merchant-id.", error.Trim());
    }

    [Fact]
    public async Task RefusesAMissingConfigFile()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", "/nonexistent/topo.json", "--user-id", "1");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: the config file '/nonexistent/topo.json' does not exist.", error.Trim());
    }

    [Fact]
    public async Task RefusesABrokenConfigFileInOneLine()
    {
        var config = _cli.WriteConfig("{\"ShardKit\": {\"Clusters\": [ ");

        var (exitCode, _, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", config, "--user-id", "1");

        Assert.Equal(2, exitCode);
        Assert.StartsWith($"error: the config file '{config}' cannot be read:", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task RefusesAnInvalidMap()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson.Replace("\"c1\"", "\"c0\"", StringComparison.Ordinal));

        var (exitCode, _, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", config, "--user-id", "1");

        Assert.Equal(2, exitCode);
        Assert.Contains("cluster name 'c0' is used by more than one cluster", error, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequiresTheConfigOption()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--user-id", "1");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--config", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesANonNumericId()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, output, error) = await CliRunner.RunAsync(RouteCommand.Create(), "--config", config, "--merchant-id", "abc");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Cannot parse argument 'abc' for option '--merchant-id'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("user:", output, StringComparison.Ordinal);
    }
}

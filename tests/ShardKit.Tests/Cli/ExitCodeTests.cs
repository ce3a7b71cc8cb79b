using System.Data.Common;
using System.Text.Json;
using ShardKit.Migrations;
using ShardKit.Migrations.Commands;

namespace ShardKit.Tests.Cli;

/// <summary>One exit-code scheme and one error handler for every command (README, "Exit codes").</summary>
[Collection("Console")]
public sealed class ExitCodeTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task UsageTextCallsTheToolShardkit()
    {
        var (exitCode, output, _) = await CliRunner.RunRootAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("shardkit [command] [options]", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ShardKit.Migrations", output, StringComparison.Ordinal);

        var (_, subcommand, _) = await CliRunner.RunRootAsync("schema", "apply", "--help");
        Assert.Contains("shardkit schema apply [options]", subcommand, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("schema", "apply", "--config", "topo.json", "--parallel", "abc")]
    [InlineData("route", "--config", "topo.json", "--user-id", "x")]
    [InlineData("bogus")]
    [InlineData("dev", "up", "--clusters", "two")]
    [InlineData("migrate", "cutover", "--config", "topo.json", "--max-pause-ms", "1e99")]
    public async Task ParserErrorsAreUsageErrorsInOneLine(params string[] args)
    {
        var (exitCode, output, error) = await CliRunner.RunRootAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AParallelThatIsNotANumberIsAUsageErrorNotACrash()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunRootAsync("schema", "apply", "--config", config, "--parallel", "abc");

        Assert.Equal(2, exitCode);
        Assert.Contains("'abc'", error, StringComparison.Ordinal);
        Assert.Contains("--parallel", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("migrate", "backfill", "--rows-per-second", "-1", "--rows-per-second must be zero or more; got -1.")]
    [InlineData("migrate", "backfill", "--max-replica-lag", "-5", "--max-replica-lag must be between 0 and 86400; got -5.")]
    [InlineData("migrate", "backfill", "--max-threads-running", "-3", "--max-threads-running must be between 1 and 100000; got -3.")]
    [InlineData("move-shard", "--shard", "user:1", "--to", "c1", "--rows-per-second", "-5", "--rows-per-second must be zero or more; got -5.")]
    [InlineData("move-shard", "resume", "--rows-per-second", "-5", "--rows-per-second must be zero or more; got -5.")]
    [InlineData("migrate", "backfill", "--max-writer-p99-ms", "-1", "--max-writer-p99-ms must be between 0 and 60000; got -1.")]
    [InlineData("migrate", "backfill", "--max-app-latency-ms", "60001", "--max-writer-p99-ms must be between 0 and 60000; got 60001.")]
    [InlineData("move-shard", "--shard", "user:1", "--to", "c1", "--max-replica-lag", "-5", "--max-replica-lag must be between 0 and 86400; got -5.")]
    [InlineData("move-shard", "--shard", "user:1", "--to", "c1", "--max-threads-running", "0", "--max-threads-running must be between 1 and 100000; got 0.")]
    [InlineData("move-shard", "--shard", "user:1", "--to", "c1", "--max-writer-p99-ms", "-1", "--max-writer-p99-ms must be between 0 and 60000; got -1.")]
    [InlineData("move-shard", "resume", "--max-threads-running", "-3", "--max-threads-running must be between 1 and 100000; got -3.")]
    [InlineData("move-shard", "plan", "--clusters", "c0,c1", "--max-replica-lag", "-1", "--max-replica-lag must be between 0 and 86400; got -1.")]
    [InlineData("move-shard", "plan", "--clusters", "c0,c1", "--execute", "--parallel", "0", "--parallel must be between 1 and 16; got 0.")]
    [InlineData("move-shard", "plan", "--clusters", "c0,c1", "--parallel", "17", "--parallel must be between 1 and 16; got 17.")]
    [InlineData("move-shard", "resume", "--parallel", "-2", "--parallel must be between 1 and 16; got -2.")]
    public async Task NegativeRatesAndLimitsAreRefusedBeforeAnyConnection(params string[] argsAndMessage)
    {
        // The topology names servers on ports nothing listens on: a check made after connecting would fail differently.
        var config = _cli.WriteConfig(CliRunner.DevUpJson);
        var args = argsAndMessage[..^1].Concat(["--config", config]).ToArray();

        var (exitCode, _, error) = await CliRunner.RunRootAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Contains(argsAndMessage[^1], error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithJsonAnIdThatIsNotAnOrderIdIsAJsonError()
    {
        var (exitCode, output, error) = await CliRunner.RunRootAsync("id", "decode", "12345", "--json");

        Assert.Equal(2, exitCode);
        Assert.Equal("", error);
        var body = JsonDocument.Parse(output).RootElement.GetProperty("error");
        Assert.Equal("usage", body.GetProperty("code").GetString());
        Assert.Equal(2, body.GetProperty("exitCode").GetInt32());
        Assert.Contains("not a ShardKit order ID", body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.NotEqual(0, body.GetProperty("problems").GetArrayLength());
    }

    [Fact]
    public async Task WithJsonAParserErrorIsAJsonError()
    {
        var (exitCode, output, _) = await CliRunner.RunRootAsync("route", "--config", "topo.json", "--user-id", "abc", "--json");

        Assert.Equal(2, exitCode);
        var body = JsonDocument.Parse(output).RootElement.GetProperty("error");
        Assert.Equal("usage", body.GetProperty("code").GetString());
        Assert.Contains("--user-id", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithJsonAnInvalidTopologyListsEveryProblem()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson.Replace("\"c1\"", "\"c0\"", StringComparison.Ordinal).Replace("3312", "3310", StringComparison.Ordinal));

        var (exitCode, output, _) = await CliRunner.RunRootAsync("verify", "dimensions", "--config", config, "--json");

        Assert.Equal(2, exitCode);
        var body = JsonDocument.Parse(output).RootElement.GetProperty("error");
        var problems = body.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.Contains(problems, p => p.Contains("cluster name 'c0' is used by more than one cluster", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("endpoint 127.0.0.1:3310", StringComparison.Ordinal));
        Assert.DoesNotContain("S3cret", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMissingConfigFileIsAnInputError()
    {
        var (exitCode, _, error) = await CliRunner.RunRootAsync("migrate", "status", "--config", "/nonexistent/topo.json");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: the config file '/nonexistent/topo.json' does not exist.", error.Trim());
    }

    [Fact]
    public async Task AWriteConfigPathInAMissingDirectoryIsRefusedBeforeAnyServerStarts()
    {
        var started = DateTime.UtcNow;

        var (exitCode, output, error) = await CliRunner.RunRootAsync("dev", "up", "--clusters", "1", "--write-config", "/nonexistent/dir/x.json");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: --write-config: the directory '/nonexistent/dir' does not exist.", error.Trim());
        Assert.DoesNotContain("Topology ready", output, StringComparison.Ordinal);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "refused only after starting servers");
    }

    [Fact]
    public async Task MoveShardCompleteChecksItsWriteConfigPathBeforeConnecting()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunRootAsync("move-shard", "complete", "--config", config, "--shard", "user:1", "--write-config", "/nonexistent/dir/x.json");

        Assert.Equal(2, exitCode);
        Assert.Contains("--write-config: the directory '/nonexistent/dir' does not exist.", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AWrongPasswordIsAnAuthenticationFailureNotAnUnreachableServer()
    {
        var denied = new FakeDbException("Access denied for user 'shardkit'@'localhost' (using password: YES)", "28000", transient: false);
        var wrapped = new ShardKitException(ShardKitErrorCode.ShardUnavailable, "Could not open a connection to the legacy database (127.0.0.1:3306): " + denied.Message, denied);

        var (exitCode, message, _) = CliErrors.Classify(wrapped, cancelled: false);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.StartsWith("authentication failed: ", message, StringComparison.Ordinal);
        Assert.False(CliErrors.IsUnreachable(wrapped));
    }

    [Fact]
    public void AMissingGrantIsAFailureThatNamesTheGrantNotAWrongPassword()
    {
        var denied = new FakeDbException("Access denied for user 'shardkit_migrator'@'%' to database 'sk_user_000'", "42000", transient: false);

        var (exitCode, message, _) = CliErrors.Classify(denied, cancelled: false);

        Assert.Equal(ExitCodes.Failed, exitCode);
        Assert.Equal("Access denied for user 'shardkit_migrator'@'%' to database 'sk_user_000'", message);
        Assert.Null(CliErrors.AuthenticationFailure(denied));
    }

    [Fact]
    public void ARefusedConnectionIsAnUnreachableServer()
    {
        var refused = new FakeDbException("Unable to connect to any of the specified MySQL hosts.", null, transient: true);
        var wrapped = new ShardKitException(ShardKitErrorCode.ShardUnavailable, "Could not open a connection to cluster 'c0' (127.0.0.1:3310): " + refused.Message, refused);

        Assert.Equal(ExitCodes.Unreachable, CliErrors.Classify(wrapped, cancelled: false).ExitCode);
    }

    [Theory]
    [InlineData("Server=127.0.0.1;Password=hunter2;Database=x")]
    [InlineData("server=127.0.0.1;pwd=hunter2")]
    [InlineData("Server=127.0.0.1;Password=\"hun;ter2\"")]
    public void MessagesNeverCarryAPassword(string connectionString)
    {
        var (_, message, _) = CliErrors.Classify(new InvalidOperationException($"bad connection string '{connectionString}'"), cancelled: false);

        Assert.DoesNotContain("hunter2", message, StringComparison.Ordinal);
        Assert.DoesNotContain("ter2", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnexpectedExceptionIsOneLineWithExitCodeOne()
    {
        var (exitCode, message, _) = CliErrors.Classify(new InvalidOperationException("first line\nsecond line", new IOException("inner")), cancelled: false);

        Assert.Equal(ExitCodes.Failed, exitCode);
        Assert.Equal("first line second line inner", message);
    }

    private sealed class FakeDbException(string message, string? sqlState, bool transient) : DbException(message)
    {
        public override string? SqlState => sqlState;

        public override bool IsTransient => transient;
    }
}

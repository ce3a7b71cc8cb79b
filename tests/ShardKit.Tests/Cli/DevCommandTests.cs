namespace ShardKit.Tests.Cli;

[Collection("Console")]
public sealed class DevCommandTests
{
    [Theory]
    [InlineData("--clusters", "0", "--clusters must be between 1 and 16; got 0.")]
    [InlineData("--clusters", "-3", "--clusters must be between 1 and 16; got -3.")]
    [InlineData("--clusters", "100000", "--clusters must be between 1 and 16; got 100000.")]
    [InlineData("--replicas", "-1", "--replicas must be between 0 and 4; got -1.")]
    [InlineData("--replicas", "9", "--replicas must be between 0 and 4; got 9.")]
    public async Task AbsurdCountsAreUsageErrorsWithNonZeroExit(string option, string value, string message)
    {
        var (exitCode, _, error) = await CliRunner.RunRootAsync("dev", "up", option, value);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonNumericCountIsAUsageError()
    {
        var (exitCode, _, error) = await CliRunner.RunRootAsync("dev", "up", "--clusters", "two");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("two", error, StringComparison.Ordinal);
    }
}

[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;

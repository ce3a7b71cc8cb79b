using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using ShardKit.Ids;
using ShardKit.Migrations.Commands;

namespace ShardKit.Tests.Ids;

public sealed class IdCommandTests
{
    private static readonly DateTimeOffset s_time = new(2026, 3, 14, 15, 9, 26, 530, TimeSpan.Zero);
    private static readonly long s_value = OrderIdLayout.Compose(OrderIdLayout.TickOf(s_time), workerId: 12, sequence: 3, userGene: 45, merchantGene: 101);

    [Fact]
    public void PrintsTimeWorkerSequenceAndBothShards()
    {
        var (exitCode, output, error) = Run("id", "decode", s_value.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        Assert.Contains($"order id        {s_value}", output, StringComparison.Ordinal);
        Assert.Contains("time (UTC)      2026-03-14T15:09:26.530Z", output, StringComparison.Ordinal);
        Assert.Contains("worker          12", output, StringComparison.Ordinal);
        Assert.Contains("sequence        3", output, StringComparison.Ordinal);
        Assert.Contains("user shard      45", output, StringComparison.Ordinal);
        Assert.Contains("merchant shard  101", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PrintsJsonWhenAsked()
    {
        var (exitCode, output, _) = Run("id", "decode", s_value.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.Equal(0, exitCode);
        using var document = JsonDocument.Parse(output);
        var root = document.RootElement;
        Assert.Equal(s_value, root.GetProperty("orderId").GetInt64());
        Assert.Equal("2026-03-14T15:09:26.530Z", root.GetProperty("timestamp").GetString());
        Assert.Equal(12, root.GetProperty("workerId").GetInt32());
        Assert.Equal(3, root.GetProperty("sequence").GetInt32());
        Assert.Equal(45, root.GetProperty("userShard").GetInt32());
        Assert.Equal(101, root.GetProperty("merchantShard").GetInt32());
    }

    [Theory]
    [InlineData("12345", "before 2025-01-02")]
    [InlineData("0", "order IDs are positive")]
    [InlineData("abc", "not a decimal number")]
    public void RefusesNumbersThatAreNotShardKitOrderIdsWithExitCode2(string text, string reason)
    {
        var (exitCode, output, error) = Run("id", "decode", text);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ChecksGenesAgainstTheGivenShardCount()
    {
        var text = s_value.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (exitCode, _, error) = Run("id", "decode", text, "--shard-count", "64");
        Assert.Equal(2, exitCode);
        Assert.Contains("merchant-shard gene is 101, but there are only 64 merchant shards", error, StringComparison.Ordinal);

        Assert.Equal(2, Run("id", "decode", text, "--shard-count", "200").ExitCode);
    }

    [Fact]
    public void RefusesNegativeNumbersThroughTheHandler()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = IdCommand.Decode("-42", 120, json: false, TimeProvider.System, output, error);

        Assert.Equal(2, exitCode);
        Assert.Contains("positive", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesIdsFromTooFarInTheFutureOfTheClock()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var clock = new FakeTimeProvider(s_time.AddDays(-2));

        var exitCode = IdCommand.Decode(s_value.ToString(System.Globalization.CultureInfo.InvariantCulture), 120, json: false, clock, output, error);

        Assert.Equal(2, exitCode);
        Assert.Contains("more than 1 day after the current time", error.ToString(), StringComparison.Ordinal);
    }

    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand("test");
        root.Subcommands.Add(IdCommand.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}

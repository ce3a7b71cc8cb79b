using ShardKit.Migrations;
using ShardKit.Migrations.Commands;

namespace ShardKit.Tests.Cli;

/// <summary><c>shardkit query</c>: its options parsed into ShardKit's query types, and bad input refused before any server is asked.</summary>
[Collection("Console")]
public sealed class QueryCommandTests : IDisposable
{
    // Nothing listens on ports 1 and 2: a connection is refused at once.
    private const string DeadTopology = """
        {"ShardKit":{"Clusters":[
          {"Name":"c0","Primary":"Server=127.0.0.1;Port=1;User ID=root;Password=S3cret-Pa55;Connection Timeout=2"},
          {"Name":"c1","Primary":"Server=127.0.0.1;Port=2;User ID=root;Password=S3cret-Pa55;Connection Timeout=2"}]}}
        """;

    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void ParsesSortsAggregatesShardRangesAndTimeouts()
    {
        Assert.Equal([CrossShardSort.DescendingBy("created_at"), CrossShardSort.Ascending("id"), CrossShardSort.Ascending("state")], QueryArguments.OrderBy("created_at DESC, id,state asc"));
        Assert.Equal(
            [CrossShardAggregate.Count(), CrossShardAggregate.Sum("total"), CrossShardAggregate.Max("state"), CrossShardAggregate.Count("paid_at"), CrossShardAggregate.Avg("x")],
            QueryArguments.Aggregates("count(*), SUM(total),max( state ),count(paid_at),avg(x)"));
        Assert.Equal([0, 1, 2, 3, 7, 9, 10], QueryArguments.Shards("0-3,7, 9-10"));
        Assert.Null(QueryArguments.Shards(" "));
        Assert.Equal(TimeSpan.FromSeconds(5), QueryArguments.Timeout("5s"));
        Assert.Equal(TimeSpan.FromMilliseconds(500), QueryArguments.Timeout("500ms"));
        Assert.Equal(TimeSpan.FromMinutes(2), QueryArguments.Timeout("2m"));
        Assert.Equal(TimeSpan.FromSeconds(1.5), QueryArguments.Timeout("1.5"));
        Assert.Null(QueryArguments.Timeout(null));
        Assert.Equal(["id", "trade_no"], QueryArguments.Names("id, trade_no", "--columns"));
        Assert.Equal(("state", "paid=yes"), QueryArguments.Parameter("@state=paid=yes"));
    }

    [Theory]
    [InlineData("order", "created_at sideways")]
    [InlineData("agg", "median(total)")]
    [InlineData("agg", "sum(*)")]
    [InlineData("shards", "3-1")]
    [InlineData("shards", "a")]
    [InlineData("timeout", "soon")]
    [InlineData("timeout", "0s")]
    [InlineData("param", "no-equals")]
    [InlineData("param", "sk_seek0=1")]
    [InlineData("columns", "id;drop")]
    public void MalformedOptionsAreUsageErrorsNamingTheOption(string what, string text)
    {
        var error = Assert.Throws<CliException>(() => _ = what switch
        {
            "order" => (object)QueryArguments.OrderBy(text),
            "agg" => QueryArguments.Aggregates(text),
            "shards" => QueryArguments.Shards(text)!,
            "timeout" => QueryArguments.Timeout(text)!,
            "param" => QueryArguments.Parameter(text),
            _ => QueryArguments.Names(text, "--columns")!,
        });

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.StartsWith("--", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParameterValuesAreTypedByTheColumnOfTheSameNameOrPassedAsText()
    {
        Assert.Equal(42L, QueryArguments.Value("buyer_id", "42", new("buyer_id", "bigint", "bigint(20)", false, false)));
        Assert.Equal(12.50m, QueryArguments.Value("total", "12.50", new("total", "decimal", "decimal(18,2)", false, true)));
        Assert.Equal(new DateTime(2026, 11, 1, 8, 0, 0).AddTicks(15), QueryArguments.Value("paid_at", "2026-11-01 08:00:00.0000015", new("paid_at", "datetime", "datetime(6)", true, false)));
        Assert.Equal(0.25, QueryArguments.Value("risk", "0.25", new("risk", "double", "double", true, false)));
        Assert.Equal("paid", QueryArguments.Value("state", "paid", new("state", "enum", "enum('created','paid')", false, false)));
        Assert.Equal("123", QueryArguments.Value("anything", "123", null));

        var error = Assert.Throws<CliException>(() => QueryArguments.Value("created_at", "yesterday", new("created_at", "datetime", "datetime(6)", false, false)));
        Assert.Contains("'yesterday' is not a value of column created_at (DATETIME(6))", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--agg", "count(*)", "--order-by", "id", "--agg prints one row per group")]
    [InlineData("--group-by", "state", "--limit", "5", "--group-by needs --agg")]
    [InlineData("--limit", "0", "--json", "", "--limit must be between 1 and 1000")]
    [InlineData("--partial", "sometimes", "--json", "", "sometimes")]
    [InlineData("--timeout", "forever", "--json", "", "is not a duration; write e.g. 5s")]
    public async Task BadOptionsExitWithCode2InOneLineBeforeAnyServerIsAsked(string option1, string value1, string option2, string value2, string message)
    {
        var config = _cli.WriteConfig(DeadTopology);
        string[] args = ["query", "--config", config, "--dimension", "user", option1, value1, option2, .. (value2 == "" ? Array.Empty<string>() : [value2])];

        var (exitCode, output, error) = await CliRunner.RunRootAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Contains(message, output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownColumnOfTheBuiltInOrdersIsExitCode2ListingTheColumns()
    {
        var config = _cli.WriteConfig(DeadTopology);

        var (exitCode, _, error) = await CliRunner.RunRootAsync("query", "--config", config, "--dimension", "merchant", "--columns", "order_id,amount");

        Assert.Equal(2, exitCode);
        Assert.Equal(
            "error: Unknown column 'amount': the orders table's columns are order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext.",
            error.Trim());
    }

    [Fact]
    public async Task UnreachableClustersAreExitCode3UnlessPartialResultsAreAllowed()
    {
        var config = _cli.WriteConfig(DeadTopology);

        var failed = await CliRunner.RunRootAsync("query", "--config", config, "--dimension", "user", "--order-by", "created_at desc", "--timeout", "3s");
        var partial = await CliRunner.RunRootAsync("query", "--config", config, "--dimension", "user", "--agg", "count(*)", "--timeout", "3s", "--partial", "allow", "--json");

        Assert.Equal(3, failed.ExitCode);
        Assert.Contains("did not answer", failed.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret", failed.Error, StringComparison.Ordinal);
        Assert.Equal(0, partial.ExitCode);
        Assert.Contains("\"missingShards\": [", partial.Output, StringComparison.Ordinal);
        Assert.Contains("\"user:119\"", partial.Output, StringComparison.Ordinal);
    }
}

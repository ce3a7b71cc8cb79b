using ShardKit.Migrations.Commands;

namespace ShardKit.Tests.Cli;

public sealed class TopologyCommandTests : IDisposable
{
    private readonly CliRunner _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task OfflineSaysOkWithAPerClusterSummaryForTheDevUpFile()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, output, error) = await CliRunner.RunAsync(TopologyCommand.Create(), "validate", "--config", config, "--offline");

        Assert.Equal(0, exitCode);
        Assert.Equal("", error);
        var lines = output.Trim().Split('\n');
        Assert.Equal("OK: map v1, 2 clusters, 120 user shards, 120 merchant shards", lines[0]);
        Assert.Equal("  c0: primary 127.0.0.1:3310, 1 replica(s); user shards 0-59 (60); merchant shards 0-59 (60)", lines[1]);
        Assert.Equal("  c1: primary 127.0.0.1:3312, 1 replica(s); user shards 60-119 (60); merchant shards 60-119 (60)", lines[2]);
    }

    [Fact]
    public async Task ListsEveryErrorOfAMapWith119ShardsMappedAndExitsWithOne()
    {
        const string json = """
            {"ShardKit":{"Clusters":[
              {"Name":"c0","Primary":"Server=127.0.0.1;Port=3310;Password=S3cret-Pa55"},
              {"Name":"c1","Primary":"Server=127.0.0.1;Port=3312;Password=S3cret-Pa55"}],
             "Dimensions":{
               "User":{"Placement":[{"Shards":"0-59","Cluster":"c0"},{"Shards":"60-118","Cluster":"c1"}]},
               "Merchant":{"Placement":[{"Shards":"0-17","Cluster":"c0"},{"Shards":"17-119","Cluster":"c1"}]}}}}
            """;
        var config = _cli.WriteConfig(json);

        var (exitCode, output, error) = await CliRunner.RunAsync(TopologyCommand.Create(), "validate", "--config", config);

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        Assert.Contains("Topology is invalid (2 errors):", error, StringComparison.Ordinal);
        Assert.Contains("  - user shard 119 is not mapped", error, StringComparison.Ordinal);
        Assert.Contains("  - merchant shard 17 is mapped twice (c0 and c1)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesDuplicateClusters()
    {
        var config = _cli.WriteConfig(CliRunner.DevUpJson.Replace("\"c1\"", "\"c0\"", StringComparison.Ordinal).Replace("3312", "3310", StringComparison.Ordinal));

        var (exitCode, _, error) = await CliRunner.RunAsync(TopologyCommand.Create(), "validate", "--config", config);

        Assert.Equal(1, exitCode);
        Assert.Contains("cluster name 'c0' is used by more than one cluster", error, StringComparison.Ordinal);
        Assert.Contains("endpoint 127.0.0.1:3310 is used by both cluster 'c0' Primary and cluster 'c0' Primary", error, StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAFileWithoutAShardKitSection()
    {
        var config = _cli.WriteConfig("{\"Logging\":{}}");

        var (exitCode, _, error) = await CliRunner.RunAsync(TopologyCommand.Create(), "validate", "--config", config);

        Assert.Equal(2, exitCode);
        Assert.Equal($"error: the config file '{config}' has no \"ShardKit\" section.", error.Trim());
    }

    [Fact]
    public async Task RefusesANonNumericShardCountInOneLine()
    {
        var config = _cli.WriteConfig("{\"ShardKit\":{\"Clusters\":[],\"Dimensions\":{\"User\":{\"ShardCount\":\"many\"}}}}");

        var (exitCode, _, error) = await CliRunner.RunAsync(TopologyCommand.Create(), "validate", "--config", config);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: the config file", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData(new int[0], "none")]
    [InlineData(new[] { 0, 1, 2, 5, 7, 8 }, "0-2,5,7-8")]
    [InlineData(new[] { 4 }, "4")]
    public void FormatsShardListsAsRanges(int[] shards, string expected)
    {
        Assert.Equal(expected, TopologyCommand.Ranges(shards));
    }
}

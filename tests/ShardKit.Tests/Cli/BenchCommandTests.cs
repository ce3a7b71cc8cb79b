using System.Collections.Concurrent;
using OrderService;
using ShardKit.Migrations.Commands;
using ShardKit.Migrations.Workload;

namespace ShardKit.Tests.Cli;

[Collection("Console")]
public sealed class BenchCommandTests : IDisposable
{
    private readonly CliRunner _runner = new();

    [Fact]
    public async Task MissingConfigFileIsAnErrorNamingTheFile()
    {
        var (exitCode, output, error) = await CliRunner.RunAsync(BenchCommand.Create(), "--config", "/nonexistent/topo.json");

        Assert.Equal(2, exitCode);
        Assert.Equal("error: the config file '/nonexistent/topo.json' does not exist.", error.Trim());
        Assert.Empty(output);
    }

    [Fact]
    public async Task MissingConfigOptionIsAUsageError()
    {
        var (exitCode, _, error) = await CliRunner.RunAsync(BenchCommand.Create(), "--duration", "2");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("--config", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidTopologyIsAnErrorNamingTheBadEntry()
    {
        var config = _runner.WriteConfig("""{"ShardKit":{"Clusters":[{"Name":"c0","Primary":"Server=127.0.0.1;Port=3310"},{"Name":"c0","Primary":"Server=127.0.0.1;Port=3312"}]}}""");

        var (exitCode, _, error) = await CliRunner.RunAsync(BenchCommand.Create(), "--config", config);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: the topology is invalid: ", error, StringComparison.Ordinal);
        Assert.Contains("'c0'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    [InlineData("2")]
    public async Task ReadRatioOutsideZeroToOneIsAUsageError(string ratio)
    {
        var config = _runner.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunAsync(BenchCommand.Create(), "--config", config, "--read-ratio", ratio);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"--read-ratio must be between 0 and 1; got {ratio}.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonNumericReadRatioIsAUsageError()
    {
        var config = _runner.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunAsync(BenchCommand.Create(), "--config", config, "--read-ratio", "half");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("half", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--concurrency", "0", "--concurrency must be between 1 and 1024; got 0.")]
    [InlineData("--concurrency", "-2", "--concurrency must be between 1 and 1024; got -2.")]
    [InlineData("--duration", "0", "--duration must be between 1 and 3600; got 0.")]
    [InlineData("--worker-id", "255", "--worker-id must be between 0 and 254; got 255.")]
    public async Task OutOfRangeCountsAreUsageErrors(string option, string value, string message)
    {
        var config = _runner.WriteConfig(CliRunner.DevUpJson);

        var (exitCode, _, error) = await CliRunner.RunAsync(BenchCommand.Create(), "--config", config, option, value);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchIsACommandOfTheShardKitTool()
    {
        var (exitCode, _, error) = await CliRunner.RunRootAsync("bench", "--config", "/nonexistent/topo.json");

        Assert.Equal(2, exitCode);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheWorkloadCountsEveryCreatedOrderOnTheUserShardItsIdNames()
    {
        var map = ShardMap.Create(TestOptions());
        var target = new InMemoryTarget();
        var runner = new WorkloadRunner(target, new WorkloadOptions { Duration = TimeSpan.FromMilliseconds(300), Concurrency = 4, ReadRatio = 0.5 }, map);

        var report = await runner.RunAsync(CancellationToken.None);

        var create = report.PerOperation.Single(o => o.Operation == "create");
        Assert.Equal(target.Orders.Count, create.Count);
        Assert.True(report.PerOperation.Single(o => o.Operation == "get").Count > 0);
        Assert.True(report.PerOperation.Single(o => o.Operation == "list").Count > 0);
        Assert.True(report.PerOperation.Single(o => o.Operation == "merchant-list").Count > 0);
        Assert.Equal(0, report.Errors);
        var expected = new long[120];
        foreach (var id in target.Orders.Keys)
        {
            expected[id.UserShard]++;
        }

        Assert.Equal(expected, report.Distribution.PerShard);
        Assert.Equal(expected.Where((_, shard) => shard < 60).Sum(), report.Distribution.Clusters.Single(c => c.Cluster == "c0").Orders);
        Assert.Equal("0-59", report.Distribution.Clusters.Single(c => c.Cluster == "c0").Shards);
        Assert.Equal(expected.Min(), report.Distribution.Min);
        Assert.Equal(expected.Max(), report.Distribution.Max);
    }

    [Fact]
    public async Task TheWorkloadCountsAReadOfAMissingOrderAsAnError()
    {
        var map = ShardMap.Create(TestOptions());
        var target = new InMemoryTarget { LoseEveryOtherOrder = true };
        var runner = new WorkloadRunner(target, new WorkloadOptions { Duration = TimeSpan.FromMilliseconds(300), Concurrency = 2, ReadRatio = 0.9 }, map);

        var report = await runner.RunAsync(CancellationToken.None);

        Assert.True(report.Errors > 0);
        Assert.Equal(report.Errors, report.PerOperation.Sum(o => o.Errors));
        Assert.Contains(report.ErrorSamples, e => e.Message.Contains("was created in this run but is not found", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new long[] { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 }, 0.50, 50)]
    [InlineData(new long[] { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 }, 0.95, 100)]
    [InlineData(new long[] { 10, 20, 30, 40, 50, 60, 70, 80, 90, 100 }, 0.10, 10)]
    [InlineData(new long[] { 7 }, 0.99, 7)]
    public void PercentilesAreNearestRank(long[] sortedMilliseconds, double percentile, long expectedMilliseconds)
    {
        var ticks = sortedMilliseconds.Select(ms => ms * System.Diagnostics.Stopwatch.Frequency / 1000).ToArray();

        Assert.Equal(expectedMilliseconds, WorkloadRunner.Percentile(ticks, percentile), precision: 6);
    }

    public void Dispose() => _runner.Dispose();

    private static ShardKitOptions TestOptions() => new()
    {
        Clusters =
        [
            new ShardClusterOptions { Name = "c0", Primary = "Server=127.0.0.1;Port=3310" },
            new ShardClusterOptions { Name = "c1", Primary = "Server=127.0.0.1;Port=3312" },
        ],
    };

    /// <summary>An order service in a dictionary: the workload engine without a server.</summary>
    private sealed class InMemoryTarget : IOrderWorkloadTarget
    {
        private readonly OrderIdGenerator _ids = new(new OrderIdGeneratorOptions { WorkerId = 9 });
        private int _created;
        private long _sequence;

        public ConcurrentDictionary<OrderId, long> Orders { get; } = new();

        public ConcurrentDictionary<OrderId, long> MerchantCopies { get; } = new();

        public bool LoseEveryOtherOrder { get; init; }

        public string Description => "in memory";

        public ConcurrentDictionary<OrderId, CausalToken> Tokens { get; } = new();

        public async Task<(OrderId Id, CausalToken? Token)> CreateAsync(WorkloadOrder order, CancellationToken cancellationToken)
        {
            await Task.Yield();

            // What the demo posts to the sample passes the sample's own validation.
            Assert.Empty(new CreateOrderRequest(order.UserId, order.MerchantId, order.Items.Select(i => new OrderItemRequest(i.Sku, i.Quantity, i.UnitPrice)).ToList()).Validate());
            var id = _ids.Next(order.UserId, order.MerchantId);
            var token = new CausalToken("c0", $"0-1-{Interlocked.Increment(ref _sequence)}");
            Tokens[id] = token;
            if (!LoseEveryOtherOrder || Interlocked.Increment(ref _created) % 2 == 0)
            {
                Orders[id] = order.UserId;
                MerchantCopies[id] = order.MerchantId;
            }

            return (id, token);
        }

        public async Task<bool> GetAsync(OrderId orderId, CausalToken? token, CancellationToken cancellationToken)
        {
            await Task.Yield();

            // A client reads its own write with the token the write handed back.
            Assert.Equal(Tokens[orderId], token);
            return Orders.ContainsKey(orderId);
        }

        public async Task<int> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return Math.Min(limit, Orders.Values.Count(u => u == userId));
        }

        public async Task<int> ListByMerchantAsync(long merchantId, int limit, CancellationToken cancellationToken)
        {
            await Task.Yield();
            return Math.Min(limit, MerchantCopies.Values.Count(m => m == merchantId));
        }
    }
}

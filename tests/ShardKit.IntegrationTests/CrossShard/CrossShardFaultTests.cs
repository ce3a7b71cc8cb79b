using System.Diagnostics;
using System.Globalization;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.CrossShard;

/// <summary>Round trips per server, a dead cluster and a slow one: the partial-results policy is honoured and the missing shards are named.</summary>
[Collection("CrossShard")]
public sealed class CrossShardFaultTests(CrossShardFixture fixture) : IAsyncLifetime
{
    private static readonly CrossShardQuery s_newest = new()
    {
        Dimension = ShardDimension.User,
        Columns = ["order_id"],
        OrderBy = [CrossShardSort.DescendingBy("created_at")],
        PageSize = 100,
    };

    private ShardKitDataSource _shards = null!;
    private CrossShardQueryExecutor _executor = null!;

    public Task InitializeAsync()
    {
        _shards = fixture.NewDataSource();
        _executor = new CrossShardQueryExecutor(_shards);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    [Fact]
    public async Task EachServerGetsExactlyOneStatementPerPageAndPerAggregate()
    {
        var servers = fixture.Topology.Clusters.Select(c => c.Primary).ToList();
        await _executor.QueryPageAsync<long>(s_newest);   // pools opened, so only the queries are counted below

        var before = await SelectCountsAsync(servers);
        var idle = Delta(before, await SelectCountsAsync(servers));
        var beforePage = await SelectCountsAsync(servers);
        var page = await _executor.QueryPageAsync<long>(s_newest);
        var afterPage = await SelectCountsAsync(servers);
        await _executor.QueryPageAsync<long>(s_newest, page.ContinuationToken);
        var afterNext = await SelectCountsAsync(servers);
        await _executor.AggregateAsync(new CrossShardAggregateQuery { Dimension = ShardDimension.User, GroupBy = ["status"], Aggregates = [CrossShardAggregate.Count()] });
        var afterAggregate = await SelectCountsAsync(servers);

        Assert.Equal([1L, 1L], Delta(beforePage, afterPage).Zip(idle, (d, i) => d - i));
        Assert.Equal([1L, 1L], Delta(afterPage, afterNext).Zip(idle, (d, i) => d - i));
        Assert.Equal([1L, 1L], Delta(afterNext, afterAggregate).Zip(idle, (d, i) => d - i));
    }

    [Fact]
    public async Task WithAClusterDeadFailNamesItsShardsAndReturnPartialReturnsTheRestAndNamesThem()
    {
        List<TestOrder> rows;
        lock (fixture.Rows)
        {
            rows = [.. fixture.Rows];
        }

        await fixture.Cluster1Primary.KillAsync();
        try
        {
            var failed = await Assert.ThrowsAsync<ShardKitException>(() => _executor.QueryPageAsync<long>(s_newest));
            var failedAggregate = await Assert.ThrowsAsync<ShardKitException>(() => _executor.AggregateAsync(
                new CrossShardAggregateQuery { Dimension = ShardDimension.User, Aggregates = [CrossShardAggregate.Count()] }));
            var partial = await _executor.QueryPageAsync<long>(s_newest with { PartialResults = PartialResultPolicy.ReturnPartial });
            var partialAggregate = await _executor.AggregateAsync(new CrossShardAggregateQuery
            {
                Dimension = ShardDimension.User,
                Aggregates = [CrossShardAggregate.Count(), CrossShardAggregate.Sum("total_amount")],
                PartialResults = PartialResultPolicy.ReturnPartial,
            });
            var onlyLiveShards = await _executor.QueryPageAsync<long>(s_newest with { Shards = [0, 1, 2, 59] });

            foreach (var error in new[] { failed, failedAggregate })
            {
                Assert.Equal(ShardKitErrorCode.ShardUnavailable, error.ErrorCode);
                Assert.True(error.IsTransient);
                Assert.Contains("cluster 'c1'", error.Message, StringComparison.Ordinal);
                Assert.Contains($"127.0.0.1:{fixture.Cluster1Primary.Port}", error.Message, StringComparison.Ordinal);
                Assert.Contains("user:60-119", error.Message, StringComparison.Ordinal);
                Assert.DoesNotContain(fixture.Topology.Password, error.Message, StringComparison.Ordinal);
            }

            var live = rows.Where(o => o.Shard < 60).ToList();
            Assert.True(partial.IsPartial);
            Assert.Equal(Enumerable.Range(60, 60), partial.MissingShards.Select(r => r.Shard));
            Assert.Equal(live.OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.OrderId).Take(100).Select(o => o.OrderId), partial.Rows);
            Assert.NotNull(partial.ContinuationToken);
            Assert.Equal(Enumerable.Range(60, 60), partialAggregate.MissingShards.Select(r => r.Shard));
            Assert.Equal([(long)live.Count, live.Sum(o => o.TotalAmount)], Assert.Single(partialAggregate.Rows).Values);
            Assert.False(onlyLiveShards.IsPartial);
        }
        finally
        {
            await fixture.Cluster1Primary.StartAsync();
        }

        var recovered = await _executor.AggregateAsync(new CrossShardAggregateQuery { Dimension = ShardDimension.User, Aggregates = [CrossShardAggregate.Count()] });
        Assert.Equal((long)rows.Count, Assert.Single(recovered.Rows).Values[0]);
    }

    [Fact]
    public async Task AClusterSlowerThanTheTimeoutIsCutOffAndReportedWhileTheOthersAnswer()
    {
        // Only c1's statement sleeps (per row); the query's 1 s timeout cuts it off and KILL QUERY stops it.
        var slow = s_newest with
        {
            Filter = "(@@port <> @slowPort OR SLEEP(0.05) = 0)",
            Parameters = new { slowPort = fixture.Cluster1Primary.Port },
            Timeout = TimeSpan.FromSeconds(1),
        };

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<ShardKitException>(() => _executor.QueryPageAsync<long>(slow));
        var partial = await _executor.QueryPageAsync<long>(slow with { PartialResults = PartialResultPolicy.ReturnPartial });
        clock.Stop();

        Assert.Contains("cluster 'c1'", error.Message, StringComparison.Ordinal);
        Assert.Contains("timeout", error.Message, StringComparison.Ordinal);
        Assert.True(partial.MissingShards.Select(r => r.Shard).SequenceEqual(Enumerable.Range(60, 60)), error.Message + " / " + partial.MissingShards.Count);
        Assert.Equal(100, partial.Rows.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"two 1 s queries took {clock.Elapsed}");
    }

    private static async Task<long[]> SelectCountsAsync(IEnumerable<MariaDbServer> servers)
    {
        var counts = new List<long>();
        foreach (var server in servers)
        {
            var line = (await server.ExecuteAsync("SHOW GLOBAL STATUS LIKE 'Com_select'")).Trim();
            counts.Add(long.Parse(line.Split('\t')[1], CultureInfo.InvariantCulture));
        }

        return [.. counts];
    }

    private static long[] Delta(long[] before, long[] after) => after.Zip(before, (a, b) => a - b).ToArray();
}

using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Dapper;
using MySqlConnector;
using ShardKit.Schema;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.CrossShard;

/// <summary>
/// Cross-shard reads over the 120 user shards of two local clusters (shards 0-59 on c0, 60-119 on c1), against the same
/// query on one unsharded table holding the same rows on c0's server (the baseline of each category):
/// the top 100 paid orders by amount (first page, and a page deep in the keyset), and counts and sums per status.
/// Mean is the latency of one query; Allocated is the client memory per page.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CrossShardBenchmarks
{
    public const int Rows = 24_000;
    private const string FlatTable = "`xs_bench`.`orders`";
    private const string Columns = "order_id, user_id, status, total_amount, created_at";
    private const string TopSql = $"SELECT {Columns} FROM {FlatTable} WHERE status = @status ORDER BY total_amount DESC, order_id DESC LIMIT 100";
    private const string DeepSql = $"SELECT {Columns} FROM {FlatTable} WHERE status = @status " +
        "AND (total_amount < @amount OR (total_amount = @amount AND order_id < @id)) ORDER BY total_amount DESC, order_id DESC LIMIT 100";
    private const string CountSql = $"SELECT status, COUNT(*), SUM(total_amount), AVG(total_amount) FROM {FlatTable} GROUP BY status";

    private static readonly CrossShardQuery s_top = new()
    {
        Dimension = ShardDimension.User,
        Filter = "status = @status",
        Parameters = new { status = "paid" },
        Columns = ["order_id", "user_id", "status", "total_amount", "created_at"],
        OrderBy = [CrossShardSort.DescendingBy("total_amount")],
        PageSize = 100,
        ReadPreference = ReadPreference.Primary,
    };

    private static readonly CrossShardAggregateQuery s_countByStatus = new()
    {
        Dimension = ShardDimension.User,
        GroupBy = ["status"],
        Aggregates = [CrossShardAggregate.Count(), CrossShardAggregate.Sum("total_amount"), CrossShardAggregate.Avg("total_amount")],
        ReadPreference = ReadPreference.Primary,
    };

    private MariaDbTopology _topology = null!;
    private ShardKitDataSource _shards = null!;
    private MySqlDataSource _flat = null!;
    private CrossShardQueryExecutor _executor = null!;
    private string _deepToken = null!;
    private object _deepParameters = null!;

    // Synchronous on purpose: the in-process toolchain runs the benchmarks before an async [GlobalSetup] has finished.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Top100")]
    public async Task<int> UnshardedTop100()
    {
        await using var connection = await _flat.OpenConnectionAsync();
        return (await connection.QueryAsync<TopOrderRow>(TopSql, new { status = "paid" })).AsList().Count;
    }

    [Benchmark]
    [BenchmarkCategory("Top100")]
    public async Task<int> CrossShardTop100() => (await _executor.QueryPageAsync<TopOrderRow>(s_top)).Rows.Count;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Top100Deep")]
    public async Task<int> UnshardedNextPageDeep()
    {
        await using var connection = await _flat.OpenConnectionAsync();
        return (await connection.QueryAsync<TopOrderRow>(DeepSql, _deepParameters)).AsList().Count;
    }

    [Benchmark]
    [BenchmarkCategory("Top100Deep")]
    public async Task<int> CrossShardNextPageDeep() => (await _executor.QueryPageAsync<TopOrderRow>(s_top, _deepToken)).Rows.Count;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("CountByStatus")]
    public async Task<int> UnshardedCountByStatus()
    {
        await using var connection = await _flat.OpenConnectionAsync();
        return (await connection.QueryAsync(CountSql)).AsList().Count;
    }

    [Benchmark]
    [BenchmarkCategory("CountByStatus")]
    public async Task<int> CrossShardCountByStatus() => (await _executor.AggregateAsync(s_countByStatus)).Rows.Count;

    private async Task SetupAsync()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Tls = false, BufferPoolMegabytes = 128 });
        var options = new ShardKitOptions();
        for (var c = 0; c < 2; c++)
        {
            options.Clusters.Add(new ShardClusterOptions { Name = $"c{c}", Primary = _topology.Clusters[c].Primary.ConnectionString });
        }

        _shards = new ShardKitDataSourceBuilder(options).Build();
        var applied = await new SchemaApplier(_shards).ApplyAsync(new SchemaApplyOptions { Dimensions = [ShardDimension.User], Parallelism = 4 });
        if (!applied.Succeeded)
        {
            throw new InvalidOperationException("The schema did not apply: " + string.Join("; ", applied.Shards.Where(s => s.Error is not null)));
        }

        var primary = _topology.Clusters[0].Primary;
        await primary.ExecuteAsync(OrderSchema.Common
            .Replace("{orders}", FlatTable, StringComparison.Ordinal)
            .Replace("{order_items}", "`xs_bench`.`order_items`", StringComparison.Ordinal)
            .Replace("{schema}", "`xs_bench`", StringComparison.Ordinal));
        _flat = new MySqlDataSource(primary.ConnectionString);

        var random = new Random(42);
        string[] statuses = ["created", "paid", "shipped", "delivered", "cancelled"];
        var byShard = new Dictionary<int, List<string>>();
        var flatValues = new List<string>();
        for (var i = 0; i < Rows; i++)
        {
            var userId = random.NextInt64(1, 1_000_000);
            var created = new DateTime(2026, 11, 1).AddSeconds(random.Next(30 * 86_400));
            var values = string.Create(CultureInfo.InvariantCulture,
                $"({100_000 + i}, {userId}, {random.Next(1, 5000)}, '{statuses[random.Next(statuses.Length)]}', {random.Next(100, 100_000) / 100m}, 'EUR', '{created:yyyy-MM-dd HH:mm:ss}', '{created:yyyy-MM-dd HH:mm:ss}', 1, NULL)");
            var shard = _shards.Map.RouteUser(userId).Shard;
            if (!byShard.TryGetValue(shard, out var list))
            {
                byShard[shard] = list = [];
            }

            list.Add(values);
            flatValues.Add(values);
        }

        const string Insert = "INSERT INTO {0} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext) VALUES ";
        foreach (var (shard, values) in byShard)
        {
            await using var connection = await _shards.OpenAsync(_shards.Map.GetRoute(ShardDimension.User, shard), ShardIntent.Write);
            await connection.Connection.ExecuteAsync(string.Format(CultureInfo.InvariantCulture, Insert, connection.Sql("{orders}")) + string.Join(",", values));
        }

        await using (var connection = await _flat.OpenConnectionAsync())
        {
            foreach (var chunk in flatValues.Chunk(2000))
            {
                await connection.ExecuteAsync(string.Format(CultureInfo.InvariantCulture, Insert, FlatTable) + string.Join(",", chunk));
            }
        }

        _executor = new CrossShardQueryExecutor(_shards);

        // A page 20 pages deep: the token of page 20, and the same keyset position for the unsharded query.
        var page = await _executor.QueryPageAsync<TopOrderRow>(s_top);
        for (var i = 1; i < 20; i++)
        {
            page = await _executor.QueryPageAsync<TopOrderRow>(s_top, page.ContinuationToken);
        }

        _deepToken = page.ContinuationToken!;
        _deepParameters = new { status = "paid", amount = page.Rows[^1].TotalAmount, id = page.Rows[^1].OrderId };
        if (await CrossShardNextPageDeep() != 100 || await UnshardedNextPageDeep() != 100)
        {
            throw new InvalidOperationException("The deep page should hold 100 rows on both sides.");
        }
    }

    private async Task CleanupAsync()
    {
        await _flat.DisposeAsync();
        await _shards.DisposeAsync();
        await _topology.DisposeAsync();
    }
}

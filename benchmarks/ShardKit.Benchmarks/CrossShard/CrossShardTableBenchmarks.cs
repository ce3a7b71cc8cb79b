using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Dapper;
using MySqlConnector;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.CrossShard;

/// <summary>
/// <see cref="CrossShardBenchmarks"/>' top 100 on a team's own declared table instead of the built-in <c>orders</c>: a
/// team-like <c>trade_orders</c> (its own key-column names, an ENUM state, DECIMAL and DATETIME(6) columns, a generated
/// column, JSON) declared as the root of the table model, 24,000 rows over the 120 user shards of two local clusters,
/// against the same query on one unsharded table holding the same rows on c0's server (the baseline of each category):
/// the top 100 paid orders by a DECIMAL column and by a DATETIME(6) column. The column kinds come from the shards'
/// <c>information_schema</c> (read once by the executor, before the measurement).
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CrossShardTableBenchmarks
{
    public const int Rows = 24_000;
    private const string FlatTable = "`xq_bench`.`trade_orders`";
    private const string Columns = "id, buyer_id, state, goods_amount, created_at";
    private const string ByAmountSql = $"SELECT {Columns} FROM {FlatTable} WHERE state = @state ORDER BY goods_amount DESC, id DESC LIMIT 100";
    private const string ByCreatedSql = $"SELECT {Columns} FROM {FlatTable} WHERE state = @state ORDER BY created_at DESC, id DESC LIMIT 100";

    private const string Ddl = """
        CREATE DATABASE IF NOT EXISTS {schema} CHARACTER SET utf8mb4;
        CREATE TABLE IF NOT EXISTS {trade_orders} (
            id            BIGINT        NOT NULL,
            buyer_id      BIGINT        NOT NULL,
            shop_id       BIGINT        NOT NULL,
            row_version   BIGINT        NOT NULL DEFAULT 1,
            trade_no      VARCHAR(40)   NOT NULL,
            state         ENUM('created','paid','shipped','done','cancelled') NOT NULL DEFAULT 'created',
            goods_amount  DECIMAL(18,2) NOT NULL,
            freight       DECIMAL(10,2) NOT NULL DEFAULT 0.00,
            total         DECIMAL(18,2) AS (goods_amount + freight) STORED,
            currency      CHAR(3)       NOT NULL,
            buyer_note    VARCHAR(512)  NULL,
            address       JSON          NULL,
            paid_at       DATETIME(6)   NULL,
            created_at    DATETIME(6)   NOT NULL,
            updated_at    DATETIME(6)   NOT NULL,
            risk_score    DOUBLE        NULL,
            PRIMARY KEY (id),
            UNIQUE KEY uk_trade_no (trade_no),
            KEY ix_buyer (buyer_id, created_at)
        ) ENGINE = InnoDB;
        """;

    private static readonly CrossShardQuery s_byAmount = new()
    {
        Dimension = ShardDimension.User,
        Table = "trade_orders",
        Filter = "state = @state",
        Parameters = new { state = "paid" },
        Columns = ["id", "buyer_id", "state", "goods_amount", "created_at"],
        OrderBy = [CrossShardSort.DescendingBy("goods_amount")],
        PageSize = 100,
        ReadPreference = ReadPreference.Primary,
    };

    private static readonly CrossShardQuery s_byCreated = s_byAmount with { OrderBy = [CrossShardSort.DescendingBy("created_at")] };

    private MariaDbTopology _topology = null!;
    private ShardKitDataSource _shards = null!;
    private MySqlDataSource _flat = null!;
    private CrossShardQueryExecutor _executor = null!;

    // Synchronous on purpose: the in-process toolchain runs the benchmarks before an async [GlobalSetup] has finished.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("TeamTop100Decimal")]
    public async Task<int> UnshardedTop100ByDecimal()
    {
        await using var connection = await _flat.OpenConnectionAsync();
        return (await connection.QueryAsync<TeamTopRow>(ByAmountSql, new { state = "paid" })).AsList().Count;
    }

    [Benchmark]
    [BenchmarkCategory("TeamTop100Decimal")]
    public async Task<int> CrossShardTop100ByDecimal() => (await _executor.QueryPageAsync<TeamTopRow>(s_byAmount)).Rows.Count;

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("TeamTop100DateTime6")]
    public async Task<int> UnshardedTop100ByDateTime6()
    {
        await using var connection = await _flat.OpenConnectionAsync();
        return (await connection.QueryAsync<TeamTopRow>(ByCreatedSql, new { state = "paid" })).AsList().Count;
    }

    [Benchmark]
    [BenchmarkCategory("TeamTop100DateTime6")]
    public async Task<int> CrossShardTop100ByDateTime6() => (await _executor.QueryPageAsync<TeamTopRow>(s_byCreated)).Rows.Count;

    private async Task SetupAsync()
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Tls = false, BufferPoolMegabytes = 128 });
        var options = new ShardKitOptions
        {
            Tables = new ShardTablesOptions
            {
                Root = new TableOptions { Name = "trade_orders", OrderIdColumn = "id", UserIdColumn = "buyer_id", MerchantIdColumn = "shop_id", VersionColumn = "row_version" },
                CheckAtStartup = false,
            },
        };
        for (var c = 0; c < 2; c++)
        {
            options.Clusters.Add(new ShardClusterOptions { Name = $"c{c}", Primary = _topology.Clusters[c].Primary.ConnectionString });
        }

        _shards = new ShardKitDataSourceBuilder(options).Build();
        var applied = await new SchemaApplier(_shards).ApplyAsync(new SchemaApplyOptions { Script = Ddl, Dimensions = [ShardDimension.User], Parallelism = 4 });
        if (!applied.Succeeded)
        {
            throw new InvalidOperationException("The schema did not apply: " + string.Join("; ", applied.Shards.Where(s => s.Error is not null)));
        }

        var primary = _topology.Clusters[0].Primary;
        await primary.ExecuteAsync(Ddl.Replace("{trade_orders}", FlatTable, StringComparison.Ordinal).Replace("{schema}", "`xq_bench`", StringComparison.Ordinal));
        _flat = new MySqlDataSource(primary.ConnectionString);

        var random = new Random(42);
        string[] states = ["created", "paid", "shipped", "done", "cancelled"];
        var byShard = new Dictionary<int, List<string>>();
        var flatValues = new List<string>();
        for (var i = 0; i < Rows; i++)
        {
            var buyerId = random.NextInt64(1, 1_000_000);
            var created = new DateTime(2026, 11, 1).AddSeconds(random.Next(30 * 86_400)).AddTicks(random.Next(1_000_000) * 10);
            var values = string.Create(CultureInfo.InvariantCulture,
                $"({100_000 + i}, {buyerId}, {random.Next(1, 5000)}, 1, 'T{i:x8}', '{states[random.Next(states.Length)]}', {random.Next(100, 100_000) / 100m}, 5.00, 'EUR', NULL, NULL, NULL, '{created:yyyy-MM-dd HH:mm:ss.ffffff}', '{created:yyyy-MM-dd HH:mm:ss.ffffff}', {random.Next(100) / 8.0})");
            var shard = _shards.Map.RouteUser(buyerId).Shard;
            if (!byShard.TryGetValue(shard, out var list))
            {
                byShard[shard] = list = [];
            }

            list.Add(values);
            flatValues.Add(values);
        }

        const string Insert = "INSERT INTO {0} (id, buyer_id, shop_id, row_version, trade_no, state, goods_amount, freight, currency, buyer_note, address, paid_at, created_at, updated_at, risk_score) VALUES ";
        foreach (var (shard, values) in byShard)
        {
            await using var connection = await _shards.OpenAsync(_shards.Map.GetRoute(ShardDimension.User, shard), ShardIntent.Write);
            await connection.Connection.ExecuteAsync(string.Format(CultureInfo.InvariantCulture, Insert, connection.Sql("{trade_orders}")) + string.Join(",", values));
        }

        await using (var connection = await _flat.OpenConnectionAsync())
        {
            foreach (var chunk in flatValues.Chunk(2000))
            {
                await connection.ExecuteAsync(string.Format(CultureInfo.InvariantCulture, Insert, FlatTable) + string.Join(",", chunk));
            }
        }

        _executor = new CrossShardQueryExecutor(_shards);
        if (await CrossShardTop100ByDecimal() != 100 || await UnshardedTop100ByDecimal() != 100 || await CrossShardTop100ByDateTime6() != 100)
        {
            throw new InvalidOperationException("Each top 100 should hold 100 rows on both sides.");
        }

        // Both sides return the same rows in the same order.
        var sharded = (await _executor.QueryPageAsync<TeamTopRow>(s_byCreated)).Rows.Select(r => r.Id);
        await using var check = await _flat.OpenConnectionAsync();
        var flat = (await check.QueryAsync<TeamTopRow>(ByCreatedSql, new { state = "paid" })).Select(r => r.Id);
        if (!sharded.SequenceEqual(flat))
        {
            throw new InvalidOperationException("The cross-shard top 100 by created_at differs from the unsharded one.");
        }
    }

    private async Task CleanupAsync()
    {
        await _flat.DisposeAsync();
        await _shards.DisposeAsync();
        await _topology.DisposeAsync();
    }
}

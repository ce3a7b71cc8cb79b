using BenchmarkDotNet.Attributes;
using Dapper;
using MySqlConnector;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Routing;

/// <summary>
/// A point read of an order by order ID routed through <see cref="ShardKitDataSource"/>
/// (<c>OpenOrderShardAsync</c> + <c>shard.Sql("... {orders} ...")</c> + Dapper) against the same read done directly with
/// Dapper on the same driver, the same pool (the <see cref="MySqlDataSource"/> ShardKit created for the endpoint with its
/// default settings) and the same server, with the shard's table name already known (baseline). Each invocation runs <see cref="OperationsPerInvoke"/> reads spread over
/// <see cref="Concurrency"/> concurrent tasks, so Mean is the time per read at that concurrency (1 / throughput).
/// Target: routed throughput at least 0.95 times direct, at 1 and at 16 concurrent tasks.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private const int OperationsPerInvoke = 64;
    private const int OrderCount = 2048;
    private const string Columns = "order_id AS OrderId, user_id AS UserId, status AS Status, total_amount AS TotalAmount";
    private const string RoutedSql = "SELECT " + Columns + " FROM {orders} WHERE order_id = @OrderId";

    private MariaDbTopology _topology = null!;
    private ShardKitDataSource _shards = null!;
    private MySqlDataSource _pool = null!;
    private OrderId[] _orderIds = [];
    private string[] _directSql = [];
    private int _next;

    [Params(1, 16)]
    public int Concurrency { get; set; }

    // Synchronous setup and cleanup: BenchmarkDotNet's in-process toolchain does not await async ones.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 0, Tls = false });
        var options = new ShardKitOptions();
        options.Clusters.Add(new ShardClusterOptions { Name = "c0", Primary = _topology.Clusters[0].Primary.ConnectionString + ";SslMode=None" });
        // ShardKit's own pool for the endpoint, as an application gets it (EndpointDataSourceFactory: its timeouts, pool
        // sizes, session guard, user variables and ignored command transactions); the direct baseline uses that pool.
        _shards = new ShardKitDataSourceBuilder(options).Build();
        await new SchemaApplier(_shards).ApplyAsync(new SchemaApplyOptions());
        _pool = _shards.CurrentEndpoints().Single().CreatedPool as MySqlDataSource
            ?? throw new InvalidOperationException("ShardKit did not create a MySqlDataSource for the endpoint.");

        // Orders of random users and merchants: reads spread over the user shards like real traffic.
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1 });
        var random = new Random(42);
        _orderIds = new OrderId[OrderCount];
        _directSql = new string[OrderCount];
        var directSqlBySchema = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < OrderCount; i++)
        {
            var userId = random.NextInt64(1, 10_000_000);
            var orderId = generator.Next(userId, random.NextInt64(1, 100_000));
            await using (var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write))
            {
                await shard.Connection.ExecuteAsync(
                    shard.Sql("INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at) " +
                              "VALUES (@OrderId, @UserId, 1, 'paid', 99.95, 'EUR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"),
                    new { OrderId = orderId.Value, UserId = userId });
                var schema = shard.Schema;
                if (!directSqlBySchema.TryGetValue(schema, out var sql))
                {
                    sql = $"SELECT {Columns} FROM `{schema}`.`orders` WHERE order_id = @OrderId";
                    directSqlBySchema.Add(schema, sql);
                }

                _directSql[i] = sql;
            }

            _orderIds[i] = orderId;
        }
    }

    private async Task CleanupAsync()
    {
        await _shards.DisposeAsync();
        await _topology.DisposeAsync();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = OperationsPerInvoke, Description = "Direct Dapper, same pool")]
    public Task Direct() => RunConcurrentlyAsync(DirectWorkerAsync);

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke, Description = "Routed by order ID")]
    public Task Routed() => RunConcurrentlyAsync(RoutedWorkerAsync);

    private Task RunConcurrentlyAsync(Func<int, Task> worker)
    {
        var perWorker = OperationsPerInvoke / Concurrency;
        if (Concurrency == 1)
        {
            return worker(perWorker);
        }

        var workers = new Task[Concurrency];
        for (var i = 0; i < workers.Length; i++)
        {
            workers[i] = worker(perWorker);
        }

        return Task.WhenAll(workers);
    }

    private int NextIndex() => (int)((uint)Interlocked.Increment(ref _next) % OrderCount);

    private async Task DirectWorkerAsync(int reads)
    {
        for (var r = 0; r < reads; r++)
        {
            var i = NextIndex();
            await using var connection = await _pool.OpenConnectionAsync();
            var orderId = _orderIds[i].Value;
            var row = await connection.QuerySingleAsync<EndToEndOrderRow>(_directSql[i], new { OrderId = orderId });
            Check(row, orderId);
        }
    }

    private async Task RoutedWorkerAsync(int reads)
    {
        for (var r = 0; r < reads; r++)
        {
            var i = NextIndex();
            var orderId = _orderIds[i];
            await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Read);
            var row = await shard.Connection.QuerySingleAsync<EndToEndOrderRow>(shard.Sql(RoutedSql), new { OrderId = orderId.Value });
            Check(row, orderId.Value);
        }
    }

    private static void Check(EndToEndOrderRow row, long orderId)
    {
        if (row.OrderId != orderId)
        {
            throw new InvalidOperationException($"Read order {row.OrderId} for order ID {orderId}.");
        }
    }
}

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Dapper;
using MySqlConnector;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Replication;

/// <summary>
/// What a causal token costs a write: the same routed write on the primary without a token (baseline of each category),
/// with <see cref="ShardConnection.GetCausalTokenAsync"/> after it (one more round trip, <c>SELECT @@last_gtid</c>), and
/// inside a <see cref="ShardKitDataSource.ReadYourWrites"/> scope (ShardKit asks for the token itself). Two categories: an
/// autocommit single-order INSERT, and a transaction (order + 2 items, commit). Target: a write that returns a token at most
/// 1.15 times the same write without one.
/// <para>
/// The other rows are the experiment of reading the GTID in the same round trip as the commit, done here in benchmark
/// code (ShardKit does not do it): <c>COMMIT; SELECT @@last_gtid</c> as one command while MySqlConnector's transaction is
/// open (the pool sets <c>IgnoreCommandTransaction=true</c>, so the driver lets it run), which leaves the driver believing
/// the transaction open, so disposing it sends a <c>ROLLBACK</c>; the same batch on a transaction begun with a text
/// <c>START TRANSACTION</c> (no <c>MySqlTransaction</c> at all: what batching saves at best), with that text transaction
/// committed by a plain <c>COMMIT</c> as its reference; and, for autocommit, the
/// INSERT and the GTID read as one command (what an API that takes the caller's statement could do).
/// <see cref="RoundTripProbe"/> prints, in the setup, the statements each row costs the server.
/// </para>
/// One server, no replicas (the token is read on the primary), all 240 user shards on it, one write at a time; each order
/// has a new order ID of a random user, so writes spread over the shards.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CausalTokenWriteBenchmarks
{
    private const string Autocommit = "Autocommit INSERT";
    private const string Transaction = "Transaction: order + 2 items";
    private const string InsertOrder =
        "INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at) " +
        "VALUES (@OrderId, @UserId, @MerchantId, 'created', 21.00, 'EUR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))";
    private const string InsertItem =
        "INSERT INTO {order_items} (order_id, line_no, sku, quantity, unit_price) VALUES (@OrderId, @LineNo, @Sku, 1, 10.50)";
    private const string InsertOrderThenReadGtid = InsertOrder + "; SELECT @@last_gtid";
    private const string CommitThenReadGtid = "COMMIT; SELECT @@last_gtid";

    // One server for every row of one in-process run (started on first use, stopped when the process exits): BenchmarkDotNet
    // runs the global setup once per row, and applying the schema to 240 shards takes a while.
    private static readonly Lazy<(MariaDbTopology Topology, ShardKitDataSource Shards)> s_shared = new(() => StartAsync().GetAwaiter().GetResult());
    private static readonly OrderIdGenerator s_ids = new(new OrderIdGeneratorOptions { WorkerId = 3 });
    private static bool s_probed;

    private ShardKitDataSource _shards = null!;
    private Random _random = null!;

    // Synchronous setup: BenchmarkDotNet's in-process toolchain does not await async ones.
    [GlobalSetup]
    public void Setup()
    {
        var (topology, shards) = s_shared.Value;
        _shards = shards;
        _random = new Random(Environment.TickCount);
        if (!s_probed)
        {
            s_probed = true;
            CheckBatchedCommitAsync().GetAwaiter().GetResult();
            ProbeAsync(topology.Clusters[0].Primary.ConnectionString + ";SslMode=None").GetAwaiter().GetResult();
        }
    }

    private static async Task<(MariaDbTopology, ShardKitDataSource)> StartAsync()
    {
        var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 0, Tls = false });
        var options = new ShardKitOptions();
        options.Clusters.Add(new ShardClusterOptions { Name = "c0", Primary = topology.Clusters[0].Primary.ConnectionString + ";SslMode=None" });

        // ShardKit's own pool (EndpointDataSourceFactory): IgnoreCommandTransaction=true, user variables, session guard.
        var shards = new ShardKitDataSourceBuilder(options).Build();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            shards.DisposeAsync().AsTask().GetAwaiter().GetResult();
            topology.DisposeAsync().AsTask().GetAwaiter().GetResult();
        };
        await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Dimensions = [ShardDimension.User] });
        return (topology, shards);
    }

    private Task ProbeAsync(string connectionString) => new RoundTripProbe(connectionString).PrintAsync(
        [
            (nameof(AutocommitInsert), AutocommitInsert),
            (nameof(AutocommitInsertWithToken), () => AutocommitInsertWithToken()),
            (nameof(AutocommitInsertInReadYourWritesScope), AutocommitInsertInReadYourWritesScope),
            (nameof(AutocommitInsertBatchedWithGtidRead), () => AutocommitInsertBatchedWithGtidRead()),
            (nameof(TransactionCommit), TransactionCommit),
            (nameof(TransactionCommitWithToken), () => TransactionCommitWithToken()),
            (nameof(TransactionInReadYourWritesScope), TransactionInReadYourWritesScope),
            (nameof(TransactionCommitBatchedOnDriverTransaction), () => TransactionCommitBatchedOnDriverTransaction()),
            (nameof(TransactionCommitOnTextTransaction), TransactionCommitOnTextTransaction),
            (nameof(TransactionCommitBatchedOnTextTransaction), () => TransactionCommitBatchedOnTextTransaction()),
        ]);

    [BenchmarkCategory(Autocommit), Benchmark(Baseline = true)]
    public async Task AutocommitInsert()
    {
        var (orderId, userId, merchantId) = NextOrder();
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        await shard.Connection.ExecuteAsync(shard.Sql(InsertOrder), new { OrderId = orderId.Value, UserId = userId, MerchantId = merchantId });
    }

    [BenchmarkCategory(Autocommit), Benchmark]
    public async Task<CausalToken> AutocommitInsertWithToken()
    {
        var (orderId, userId, merchantId) = NextOrder();
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        await shard.Connection.ExecuteAsync(shard.Sql(InsertOrder), new { OrderId = orderId.Value, UserId = userId, MerchantId = merchantId });
        return await shard.GetCausalTokenAsync() ?? throw new InvalidOperationException("The write returned no causal token.");
    }

    [BenchmarkCategory(Autocommit), Benchmark]
    public async Task AutocommitInsertInReadYourWritesScope()
    {
        using var scope = _shards.ReadYourWrites();
        await AutocommitInsert();
    }

    /// <summary>Experiment: the caller's INSERT and the GTID read as one command (one round trip).</summary>
    [BenchmarkCategory(Autocommit), Benchmark]
    public async Task<CausalToken> AutocommitInsertBatchedWithGtidRead()
    {
        var (orderId, userId, merchantId) = NextOrder();
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        var gtid = await shard.Connection.ExecuteScalarAsync<string>(
            shard.Sql(InsertOrderThenReadGtid), new { OrderId = orderId.Value, UserId = userId, MerchantId = merchantId });
        return new CausalToken(shard.Route.Cluster.Name, gtid ?? throw new InvalidOperationException("The batch returned no GTID."));
    }

    [BenchmarkCategory(Transaction), Benchmark(Baseline = true)]
    public async Task TransactionCommit()
    {
        var (orderId, userId, merchantId) = NextOrder();
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        await using var transaction = await shard.BeginTransactionAsync();
        await InsertOrderAndItemsAsync(shard, orderId, userId, merchantId);
        await transaction.CommitAsync();
    }

    [BenchmarkCategory(Transaction), Benchmark]
    public async Task<CausalToken> TransactionCommitWithToken()
    {
        var (orderId, userId, merchantId) = NextOrder();
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        await using var transaction = await shard.BeginTransactionAsync();
        await InsertOrderAndItemsAsync(shard, orderId, userId, merchantId);
        await transaction.CommitAsync();
        return await shard.GetCausalTokenAsync() ?? throw new InvalidOperationException("The transaction returned no causal token.");
    }

    [BenchmarkCategory(Transaction), Benchmark]
    public async Task TransactionInReadYourWritesScope()
    {
        using var scope = _shards.ReadYourWrites();
        await TransactionCommit();
    }

    /// <summary>
    /// Experiment: <c>COMMIT; SELECT @@last_gtid</c> as one command inside ShardKit's transaction (a MySqlConnector
    /// <c>MySqlTransaction</c>). The server commits, but the driver still holds the transaction as open: disposing it
    /// sends <c>ROLLBACK</c> (a no-op on the server, one more round trip), and until then the connection refuses
    /// <c>BeginTransaction</c> ("nested transactions").
    /// </summary>
    [BenchmarkCategory(Transaction), Benchmark]
    public async Task<CausalToken> TransactionCommitBatchedOnDriverTransaction()
    {
        var (orderId, userId, merchantId) = NextOrder();
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        string? gtid;
        await using (var transaction = await shard.BeginTransactionAsync())
        {
            await InsertOrderAndItemsAsync(shard, orderId, userId, merchantId);
            gtid = await shard.Connection.ExecuteScalarAsync<string>(CommitThenReadGtid, transaction: shard.Transaction);
        }

        return new CausalToken(shard.Route.Cluster.Name, gtid ?? throw new InvalidOperationException("The batch returned no GTID."));
    }

    /// <summary>
    /// Experiment, the reference of the next row: the same transaction begun and committed with text statements
    /// (<c>START TRANSACTION</c>, <c>COMMIT</c>), no <c>MySqlTransaction</c> and no token.
    /// </summary>
    [BenchmarkCategory(Transaction), Benchmark]
    public async Task TransactionCommitOnTextTransaction()
    {
        var (orderId, userId, merchantId) = NextOrder();
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        await shard.Connection.ExecuteAsync("START TRANSACTION");
        await InsertOrderAndItemsAsync(shard, orderId, userId, merchantId);
        await shard.Connection.ExecuteAsync("COMMIT");
    }

    /// <summary>
    /// Experiment: the floor of batching: a transaction begun and committed with text statements (<c>START TRANSACTION</c>,
    /// then <c>COMMIT; SELECT @@last_gtid</c>), no <c>MySqlTransaction</c>, so nothing is sent when it ends. Compare it
    /// with <see cref="TransactionCommitOnTextTransaction"/> for what the batched token costs.
    /// </summary>
    [BenchmarkCategory(Transaction), Benchmark]
    public async Task<CausalToken> TransactionCommitBatchedOnTextTransaction()
    {
        var (orderId, userId, merchantId) = NextOrder();
        await using var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        await shard.Connection.ExecuteAsync("START TRANSACTION");
        await InsertOrderAndItemsAsync(shard, orderId, userId, merchantId);
        var gtid = await shard.Connection.ExecuteScalarAsync<string>(CommitThenReadGtid);
        return new CausalToken(shard.Route.Cluster.Name, gtid ?? throw new InvalidOperationException("The batch returned no GTID."));
    }

    private static async Task InsertOrderAndItemsAsync(ShardConnection shard, OrderId orderId, long userId, long merchantId)
    {
        await shard.Connection.ExecuteAsync(
            shard.Sql(InsertOrder), new { OrderId = orderId.Value, UserId = userId, MerchantId = merchantId }, shard.Transaction);
        await shard.Connection.ExecuteAsync(shard.Sql(InsertItem), new { OrderId = orderId.Value, LineNo = 1, Sku = "SKU-1" }, shard.Transaction);
        await shard.Connection.ExecuteAsync(shard.Sql(InsertItem), new { OrderId = orderId.Value, LineNo = 2, Sku = "SKU-2" }, shard.Transaction);
    }

    private (OrderId OrderId, long UserId, long MerchantId) NextOrder()
    {
        var userId = _random.NextInt64(1, 10_000_000);
        var merchantId = _random.NextInt64(1, 100_000);
        return (s_ids.Next(userId, merchantId), userId, merchantId);
    }

    /// <summary>
    /// Checks that the batched commit reads the right GTID and commits: the GTID equals the one a separate
    /// <c>SELECT @@last_gtid</c> then reads, the rows are visible from another session after the driver's <c>ROLLBACK</c>,
    /// and, until disposed, the driver still refuses to begin another transaction on the connection.
    /// </summary>
    private async Task CheckBatchedCommitAsync()
    {
        var (orderId, userId, merchantId) = NextOrder();
        string? batched;
        CausalToken? separate;
        string? nestedError = null;
        await using (var shard = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write))
        {
            await using (var transaction = await shard.BeginTransactionAsync())
            {
                await InsertOrderAndItemsAsync(shard, orderId, userId, merchantId);
                batched = await shard.Connection.ExecuteScalarAsync<string>(CommitThenReadGtid);
                separate = await shard.GetCausalTokenAsync();
                try
                {
                    await (await shard.Connection.BeginTransactionAsync()).DisposeAsync();
                }
                catch (InvalidOperationException ex)
                {
                    nestedError = ex.Message;
                }
            }
        }

        if (batched is null || separate is null || batched != separate.Gtid)
        {
            throw new InvalidOperationException($"The batched commit read GTID '{batched}', a separate read '{separate?.Gtid}'.");
        }

        await using var read = await _shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        var items = await read.Connection.ExecuteScalarAsync<long>(read.Sql("SELECT COUNT(*) FROM {order_items} WHERE order_id = @Id"), new { Id = orderId.Value });
        if (items != 2)
        {
            throw new InvalidOperationException($"After the batched commit and the driver's rollback, {items} of 2 items are stored.");
        }

        Console.WriteLine($"// Batched commit: GTID {batched} (a separate read agrees); rows committed; before disposal BeginTransaction said: {nestedError ?? "nothing (it began one)"}");
    }
}

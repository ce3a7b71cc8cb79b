using Dapper;
using MySqlConnector;
using ShardKit.Connections;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Replication;

/// <summary>
/// One cluster of a primary and two replicas (no TLS), 8 user shards with <see cref="OrderCount"/> orders, shared by the
/// replication benchmark classes of one in-process run (started on first use, stopped when the process exits), and a
/// data source per replica count: the same servers, listing 0, 1 or 2 of the replicas.
/// </summary>
internal sealed class ReplicaBenchmarkTopology
{
    public const int OrderCount = 512;
    public const string PointRead = "SELECT order_id, status FROM {orders} WHERE order_id = @Id";

    private static readonly Lazy<ReplicaBenchmarkTopology> s_shared = new(() => StartAsync().GetAwaiter().GetResult());

    private ReplicaBenchmarkTopology(MariaDbTopology topology, ShardKitDataSource[] byReplicaCount, MySqlDataSource primaryPool, OrderId[] orders, string[] directSql, CausalToken token)
    {
        Topology = topology;
        ByReplicaCount = byReplicaCount;
        PrimaryPool = primaryPool;
        Orders = orders;
        DirectSql = directSql;
        Token = token;
    }

    public static ReplicaBenchmarkTopology Shared => s_shared.Value;

    public MariaDbTopology Topology { get; }

    /// <summary>Data sources over the same servers with 0, 1 and 2 replicas listed.</summary>
    public ShardKitDataSource[] ByReplicaCount { get; }

    /// <summary>A pool on the primary with ShardKit's pool settings (<see cref="EndpointDataSourceFactory"/>), for the direct baseline.</summary>
    public MySqlDataSource PrimaryPool { get; }

    public OrderId[] Orders { get; }

    /// <summary>The point read of each order with its shard's table name already known (direct baseline).</summary>
    public string[] DirectSql { get; }

    /// <summary>A causal token of the last write of the setup (applied on both replicas).</summary>
    public CausalToken Token { get; }

    private static async Task<ReplicaBenchmarkTopology> StartAsync()
    {
        var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 2, Tls = false });
        AppDomain.CurrentDomain.ProcessExit += (_, _) => topology.DisposeAsync().AsTask().GetAwaiter().GetResult();
        var cluster = topology.Clusters[0];
        var byReplicaCount = new ShardKitDataSource[3];
        for (var replicas = 0; replicas <= 2; replicas++)
        {
            var options = new ShardKitOptions();
            options.Clusters.Add(new ShardClusterOptions
            {
                Name = "c0",
                Primary = cluster.Primary.ConnectionString + ";SslMode=None",
                Replicas = cluster.Replicas.Take(replicas).Select(r => r.ConnectionString + ";SslMode=None").ToList(),
            });
            options.Dimensions.User.ShardCount = 8;
            options.Dimensions.Merchant.ShardCount = 8;
            byReplicaCount[replicas] = new ShardKitDataSourceBuilder(options).Build();
        }

        var shards = byReplicaCount[2];
        await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Dimensions = [ShardDimension.User] });
        var ids = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 9, ShardCount = 8 });
        var orders = new OrderId[OrderCount];
        var directSql = new string[OrderCount];
        CausalToken? token = null;
        for (var i = 0; i < OrderCount; i++)
        {
            var userId = 1 + i;
            orders[i] = ids.Next(userId, 1);
            await using var write = await shards.OpenUserShardAsync(userId, ShardIntent.Write);
            await write.Connection.ExecuteAsync(
                write.Sql("INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at) VALUES (@Id, @UserId, 1, 'created', 1.00, 'EUR', NOW(6), NOW(6))"),
                new { Id = orders[i].Value, UserId = userId });
            directSql[i] = write.Sql(PointRead);
            token = await write.GetCausalTokenAsync() ?? token;
        }

        foreach (var replica in cluster.Replicas)
        {
            await replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
        }

        foreach (var dataSource in byReplicaCount)
        {
            await dataSource.WarmUpAsync(16);
            await dataSource.ProbeReplicasAsync();
        }

        // The baseline's pool has ShardKit's settings (timeouts, pool sizes, session guard), like the routed reads' pools.
        var primaryPool = new EndpointDataSourceFactory(null).Create(
            EndpointDataSourceFactory.ApplyDefaults(cluster.Primary.ConnectionString + ";SslMode=None", null, null));
        return new ReplicaBenchmarkTopology(topology, byReplicaCount, primaryPool, orders, directSql, token ?? throw new InvalidOperationException("No causal token."));
    }
}

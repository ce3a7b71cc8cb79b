using Dapper;
using MySqlConnector;
using ShardKit.Schema;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.CrossShard;

/// <summary>
/// Two clusters without replicas, the 120 user shards spread over them (0-59 on c0, 60-119 on c1), with the same random
/// orders written both into the user shards and into one unsharded table <c>xs_flat.orders</c> on c0 (which also
/// records each row's shard), so every cross-shard result can be checked against the same query on one table.
/// The tests kill c1, so this topology is theirs alone.
/// </summary>
public sealed class CrossShardFixture : IAsyncLifetime
{
    public const string FlatTable = "`xs_flat`.`orders`";
    public const int DataSeed = 20261122;
    private const string InsertColumns = "order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext";
    private const string InsertValues = "@OrderId, @UserId, @MerchantId, @Status, @TotalAmount, @Currency, @CreatedAt, @UpdatedAt, @Version, @Ext";
    private MariaDbTopology? _topology;
    private long _nextId = 1_000_000;

    public MariaDbTopology Topology => _topology ?? throw new InvalidOperationException("The fixture has not started.");

    public MariaDbServer Cluster1Primary => Topology.Clusters[1].Primary;

    public ShardKitOptions Options { get; } = new();

    /// <summary>Every row written so far (the seed rows plus any a test added), by order ID.</summary>
    public List<TestOrder> Rows { get; } = [];

    public ShardKitDataSource NewDataSource() => new ShardKitDataSourceBuilder(Options).Build();

    public async Task<MySqlConnection> OpenFlatAsync()
    {
        var connection = new MySqlConnection(Topology.Clusters[0].Primary.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public async Task InitializeAsync()
    {
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Tls = false });
        for (var c = 0; c < 2; c++)
        {
            Options.Clusters.Add(new ShardClusterOptions { Name = $"c{c}", Primary = _topology.Clusters[c].Primary.ConnectionString });
        }

        await using var shards = NewDataSource();
        var applied = await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Dimensions = [ShardDimension.User], Parallelism = 4 });
        Assert.True(applied.Succeeded, string.Join("; ", applied.Shards.Where(s => s.Error is not null)));

        var flat = OrderSchema.Common
            .Replace("{orders}", FlatTable, StringComparison.Ordinal)
            .Replace("{order_items}", "`xs_flat`.`order_items`", StringComparison.Ordinal)
            .Replace("{schema}", "`xs_flat`", StringComparison.Ordinal);
        await Topology.Clusters[0].Primary.ExecuteAsync(flat + ";\nALTER TABLE " + FlatTable + " ADD COLUMN shard INT NOT NULL;");

        await InsertAsync(shards, TestOrder.Generate(new Random(DataSeed), shards.Map, 1200, NextIds(1200 * 6)));
    }

    /// <summary>Reserves a range of order IDs and returns its first.</summary>
    public long NextIds(int count) => Interlocked.Add(ref _nextId, count) - count;

    /// <summary>Writes <paramref name="orders"/> into their user shards, then into the unsharded table.</summary>
    public async Task InsertAsync(ShardKitDataSource shards, IReadOnlyCollection<TestOrder> orders)
    {
        foreach (var group in orders.GroupBy(o => o.Shard))
        {
            await using var shard = await shards.OpenAsync(shards.Map.GetRoute(ShardDimension.User, group.Key), ShardIntent.Write);
            await shard.Connection.ExecuteAsync(shard.Sql($"INSERT INTO {{orders}} ({InsertColumns}) VALUES ({InsertValues})"), group.ToList());
        }

        await using (var connection = await OpenFlatAsync())
        {
            await connection.ExecuteAsync($"INSERT INTO {FlatTable} ({InsertColumns}, shard) VALUES ({InsertValues}, @Shard)", orders);
        }

        lock (Rows)
        {
            Rows.AddRange(orders);
        }
    }

    public async Task DisposeAsync()
    {
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
    }
}

[CollectionDefinition("CrossShard")]
public sealed class CrossShardCollection : ICollectionFixture<CrossShardFixture>;

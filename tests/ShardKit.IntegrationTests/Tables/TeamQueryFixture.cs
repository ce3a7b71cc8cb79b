using Dapper;
using Microsoft.Extensions.Configuration;
using MySqlConnector;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Tables;

/// <summary>
/// <see cref="TeamTablesFixture"/>'s topology and tables (a topology of its own: the table checks alter shards) with
/// orders in the user shards' <c>trade_orders</c> and payments in <c>order_payments</c>, the same rows also in one
/// unsharded copy (<c>xq_flat</c> on c0), so every cross-shard result can be compared with one SQL over all rows.
/// </summary>
public sealed class TeamQueryFixture : IAsyncLifetime
{
    public const string FlatOrders = "`xq_flat`.`trade_orders`";
    public const string FlatPayments = "`xq_flat`.`order_payments`";
    public const int OrderCount = 700;
    private readonly TeamTablesFixture _tables = new();

    public string ConfigPath => _tables.ConfigPath;

    public MariaDbTopology Topology => _tables.Topology;

    public List<TeamOrder> Orders { get; private set; } = [];

    public ShardKitOptions Options { get; } = new();

    public async Task InitializeAsync()
    {
        await _tables.InitializeAsync();
        new ConfigurationBuilder().AddJsonFile(ConfigPath).Build().GetSection("ShardKit").Bind(Options);
        var flat = TeamSchema.UserDdl
            .Replace("{schema}", "`xq_flat`", StringComparison.Ordinal)
            .Replace("{trade_orders}", FlatOrders, StringComparison.Ordinal)
            .Replace("{order_payments}", FlatPayments, StringComparison.Ordinal)
            .Replace("{order_audit}", "`xq_flat`.`order_audit`", StringComparison.Ordinal);
        await Topology.Clusters[0].Primary.ExecuteAsync(flat);

        Orders = TeamOrder.Generate(new Random(20261206), OrderCount, TeamTablesFixture.ShardCount, firstId: 5_000_000);
        var payments = Orders.Where(o => o.Id % 3 != 0)
            .SelectMany(o => Enumerable.Range(1, (int)(o.Id % 2) + 1).Select(n => new { OrderId = o.Id, PaymentNo = n, Method = n == 1 ? "card" : "wallet", Amount = o.GoodsAmount / n, o.PaidAt, o.Shard }))
            .ToList();
        await using var shards = new ShardKitDataSourceBuilder(Options).Build();
        foreach (var group in Orders.GroupBy(o => o.Shard))
        {
            await using var shard = await shards.OpenAsync(shards.Map.GetRoute(ShardDimension.User, group.Key), ShardIntent.Write);
            await shard.Connection.ExecuteAsync(shard.Sql($"INSERT INTO {{trade_orders}} ({TeamOrder.Columns}) VALUES ({TeamOrder.Values})"), group.ToList());
            await shard.Connection.ExecuteAsync(
                shard.Sql("INSERT INTO {order_payments} (order_id, payment_no, method, amount, paid_at) VALUES (@OrderId, @PaymentNo, @Method, @Amount, @PaidAt)"),
                payments.Where(p => p.Shard == group.Key).ToList());
        }

        await using var connection = await OpenFlatAsync();
        await connection.ExecuteAsync($"INSERT INTO {FlatOrders} ({TeamOrder.Columns}) VALUES ({TeamOrder.Values})", Orders);
        await connection.ExecuteAsync($"INSERT INTO {FlatPayments} (order_id, payment_no, method, amount, paid_at) VALUES (@OrderId, @PaymentNo, @Method, @Amount, @PaidAt)", payments);
    }

    public ShardKitDataSource NewDataSource() => new ShardKitDataSourceBuilder(Options).Build();

    public async Task<MySqlConnection> OpenFlatAsync()
    {
        var connection = new MySqlConnection(Topology.Clusters[0].Primary.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    public Task DisposeAsync() => _tables.DisposeAsync();
}

[CollectionDefinition(nameof(TeamQueryCollection))]
public sealed class TeamQueryCollection : ICollectionFixture<TeamQueryFixture>;

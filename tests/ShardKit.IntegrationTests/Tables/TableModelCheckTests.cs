using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MySqlConnector;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.Tables;

[Collection(nameof(TeamTablesCollection))]
public sealed class TableModelCheckTests(TeamTablesFixture fixture)
{
    [Fact]
    public async Task TopologyValidateFindsTheTeamsTablesOnEveryShardAndTheirColumnsComeFromTheServer()
    {
        var (exitCode, output, error) = await TeamTablesFixture.RunAsync(TopologyCommand.Create(), "validate", "--config", fixture.ConfigPath);

        Assert.True(exitCode == 0, error);
        Assert.Contains("OK: tables trade_orders, order_payments, order_audit (user shards only) (declared) match all 16 shards", output, StringComparison.Ordinal);

        await using var shards = new ShardKitDataSourceBuilder(Section(fixture.ConfigPath)).Build();
        var result = await new TableModelChecker(shards).CheckAsync();
        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        var root = result.GetColumns(ShardDimension.User, "trade_orders")!;
        Assert.Equal(23, root.Count);
        Assert.Contains(new ColumnShape("total", "decimal", "decimal(18,2)", IsNullable: true, IsGenerated: true), root);
        Assert.Contains(root, c => c is { Name: "state", DataType: "enum" } && c.ColumnType.StartsWith("enum('created'", StringComparison.Ordinal));
        Assert.Contains(root, c => c is { Name: "paid_at", ColumnType: "datetime(6)", IsNullable: true });
        Assert.Contains(root, c => c is { Name: "signature", DataType: "blob" });
        Assert.Equal(["order_id", "payment_no", "amount", "paid_at"], result.GetColumns(ShardDimension.Merchant, "order_payments")!.Select(c => c.Name));
        Assert.Null(result.GetColumns(ShardDimension.Merchant, "order_audit"));
        Assert.Equal(5, result.GetColumns(ShardDimension.User, "order_audit")!.Count);
    }

    [Fact]
    public async Task AnUnknownTableAMissingKeyColumnAndAWrongKeyTypeAreEachNamedWithTheShardAndNothingIsWritten()
    {
        var config = await fixture.WriteConfigAsync("bad-declaration.json", TeamSchema.Declaration(tables =>
        {
            tables["Root"]!["VersionColumn"] = "rev";
            tables["Root"]!["UserIdColumn"] = "trade_no";
            ((JsonArray)tables["Children"]!).Add(new JsonObject { ["Name"] = "order_refunds" });
        }));
        var before = await CountTablesAsync();

        var (exitCode, output, error) = await TeamTablesFixture.RunAsync(TopologyCommand.Create(), "validate", "--config", config);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("OK: map v1", output, StringComparison.Ordinal);
        Assert.Contains("Tables trade_orders, order_payments, order_audit (user shards only), order_refunds do not match the shards", error, StringComparison.Ordinal);
        Assert.Contains("shard user:0 (cluster c0, schema ", error, StringComparison.Ordinal);
        Assert.Contains("): table order_refunds does not exist", error, StringComparison.Ordinal);
        Assert.Contains("shard merchant:7 (cluster c1, schema ", error, StringComparison.Ordinal);
        Assert.Contains("table trade_orders has no version column rev", error, StringComparison.Ordinal);
        Assert.Contains("trade_orders.trade_no, the user ID column, is VARCHAR(40); it must be BIGINT", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await CountTablesAsync());
    }

    [Fact]
    public async Task AShardWhoseTableDiffersFromTheOthersIsNamedWithTheDifference()
    {
        await using var shards = new ShardKitDataSourceBuilder(Section(fixture.ConfigPath)).Build();
        var odd = shards.Map.GetRoute(ShardDimension.User, 5);
        await ExecuteAsync(odd, "ALTER TABLE {trade_orders} ADD COLUMN coupon_code VARCHAR(32) NULL, MODIFY buyer_note VARCHAR(256) NULL");
        try
        {
            var result = await new TableModelChecker(shards).CheckAsync();

            var problem = Assert.Single(result.Problems);
            Assert.Equal(("user:5", "trade_orders"), (problem.Shard, problem.Table));
            Assert.Equal(
                $"shard user:5 (cluster c1, schema {odd.Schema}): table trade_orders differs from the other user shards (7 of them, e.g. user:0): "
                + "column buyer_note VARCHAR(256) NULL where the others have buyer_note VARCHAR(512) NULL; extra column coupon_code VARCHAR(32) NULL",
                problem.Message);
        }
        finally
        {
            await ExecuteAsync(odd, "ALTER TABLE {trade_orders} DROP COLUMN coupon_code, MODIFY buyer_note VARCHAR(512) NULL");
        }
    }

    [Fact]
    public async Task AMerchantProjectionColumnMissingOnTheMerchantShardsIsNamed()
    {
        var config = await fixture.WriteConfigAsync("bad-projection.json", TeamSchema.Declaration(tables =>
            ((JsonArray)tables["Children"]!)[0]!["MerchantColumns"] = new JsonArray("payment_no", "amount", "method")));
        await using var shards = new ShardKitDataSourceBuilder(Section(config)).Build();

        var result = await new TableModelChecker(shards).CheckAsync();

        var problem = Assert.Single(result.Problems);
        Assert.Equal(("order_payments", "method"), (problem.Table, problem.Column));
        Assert.StartsWith("the merchant shards' table order_payments (e.g. shard merchant:0 (cluster c0, schema ", problem.Message, StringComparison.Ordinal);
        Assert.EndsWith("has no column method, which the merchant copy keeps (method VARCHAR(16) NOT NULL)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServiceDeclaringTablesTheShardsDoNotHaveFailsToStartNamingTheProblem()
    {
        var config = await fixture.WriteConfigAsync("bad-start.json", TeamSchema.Declaration(tables => tables["Root"]!["MerchantIdColumn"] = "seller_id"));
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddJsonFile(config);
        builder.Services.AddShardKit(builder.Configuration.GetSection("ShardKit"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<ShardKitException>(() => host.StartAsync());

        Assert.Equal(ShardKitErrorCode.InvalidTables, error.ErrorCode);
        Assert.Contains("table trade_orders has no merchant ID column seller_id", error.Message, StringComparison.Ordinal);

        // The same service with the right declaration starts.
        var good = Host.CreateApplicationBuilder();
        good.Configuration.AddJsonFile(fixture.ConfigPath);
        good.Services.AddShardKit(good.Configuration.GetSection("ShardKit"));
        using var started = good.Build();
        await started.StartAsync();
        await started.StopAsync();
    }

    private static ShardKitOptions Section(string path)
    {
        var options = new ShardKitOptions();
        new ConfigurationBuilder().AddJsonFile(path).Build().GetSection("ShardKit").Bind(options);
        return options;
    }

    private async Task<long> CountTablesAsync()
    {
        long total = 0;
        foreach (var cluster in fixture.Topology.Clusters)
        {
            await using var connection = new MySqlConnection(cluster.Primary.ConnectionString);
            total += await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA NOT IN ('mysql', 'sys', 'performance_schema', 'information_schema')");
        }

        return total;
    }

    private async Task ExecuteAsync(ShardRoute route, string sql)
    {
        await using var shards = new ShardKitDataSourceBuilder(Section(fixture.ConfigPath)).Build();
        await using var shard = await shards.OpenAsync(shards.Map.GetRoute(route.Dimension, route.Shard), ShardIntent.Write);
        await shard.Connection.ExecuteAsync(shard.Sql(sql));
    }
}

[CollectionDefinition(nameof(TeamTablesCollection))]
public sealed class TeamTablesCollection : ICollectionFixture<TeamTablesFixture>;

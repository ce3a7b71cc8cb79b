using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using MySqlConnector;
using ShardKit.IntegrationTests.Tables;
using ShardKit.Migration;
using ShardKit.Migrations.Commands;
using ShardKit.Migrations.Migration;
using ShardKit.Testing;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The legacy import of a monolith whose tables are not ShardKit's: legacy tables named and keyed their own way
/// (<c>t_order</c> keyed by <c>order_no</c>, <c>t_payment</c> and <c>t_audit</c> linked by <c>order_ref</c>, columns named
/// differently, no version column) become the team's declared tables (<see cref="TeamSchema"/>: 23-column root, a
/// projected child, a user-only child) through <c>ShardKit:LegacyTables</c>, while a script writes the legacy tables with
/// plain SQL through every phase.
/// </summary>
public sealed class TeamLegacyImportTests(ITestOutputHelper output)
{
    private const int Orders = 300;
    private const int Users = 60;
    private const int Merchants = 25;

    private const string LegacyDdl = """
        CREATE DATABASE IF NOT EXISTS `legacy` CHARACTER SET utf8mb4;
        CREATE TABLE `legacy`.`t_order` (
            order_no      BIGINT         NOT NULL AUTO_INCREMENT,
            buyer         BIGINT         NOT NULL,
            shop_id       BIGINT         NOT NULL,
            trade_no      VARCHAR(40)    NOT NULL,
            state         ENUM('created','paid','shipped','done','cancelled') NOT NULL DEFAULT 'created',
            goods_amount  DECIMAL(18,2)  NOT NULL,
            freight       DECIMAL(10,2)  NOT NULL DEFAULT 0.00,
            discount      DECIMAL(10,2)  NULL,
            total         DECIMAL(18,2)  NULL,
            currency      CHAR(3)        NOT NULL,
            buyer_remark  VARCHAR(512)   NULL,
            invoice_title VARCHAR(128)   NULL,
            address       JSON           NULL,
            attributes    JSON           NULL,
            signature     BLOB           NULL,
            paid_at       DATETIME(6)    NULL,
            shipped_at    DATETIME(6)    NULL,
            created_at    DATETIME(6)    NOT NULL,
            updated_at    DATETIME(6)    NOT NULL,
            channel       TINYINT        NOT NULL DEFAULT 0,
            is_gift       BOOLEAN        NOT NULL DEFAULT FALSE,
            risk_score    DOUBLE         NULL,
            PRIMARY KEY (order_no),
            UNIQUE KEY uk_trade_no (trade_no)
        ) ENGINE = InnoDB;
        CREATE TABLE `legacy`.`t_payment` (
            id          BIGINT        NOT NULL AUTO_INCREMENT,
            order_ref   BIGINT        NOT NULL,
            payment_no  INT           NOT NULL,
            pay_method  VARCHAR(16)   NOT NULL,
            amount      DECIMAL(18,2) NOT NULL,
            paid_at     DATETIME(6)   NULL,
            gateway_raw JSON          NULL,
            PRIMARY KEY (id),
            UNIQUE KEY uk_order_payment (order_ref, payment_no)
        ) ENGINE = InnoDB;
        CREATE TABLE `legacy`.`t_audit` (
            order_ref BIGINT      NOT NULL,
            seq       INT         NOT NULL,
            actor     VARCHAR(64) NOT NULL,
            action    VARCHAR(32) NOT NULL,
            at        DATETIME(6) NOT NULL,
            PRIMARY KEY (order_ref, seq)
        ) ENGINE = InnoDB;
        """;

    [Fact]
    public async Task ATeamMonolithWithItsOwnTablesAndColumnsImportsEndToEndWhileAScriptWritesIt()
    {
        await using var setup = await TeamImport.StartAsync(LegacyMapping());
        var shards = setup.Migrator;
        using var migrator = new Migrator(shards, new MigratorOptions { ChunkSize = 64, AcknowledgeTimeout = TimeSpan.FromSeconds(10) });
        var plan = await migrator.PlanAsync(CancellationToken.None);
        Assert.Equal(Orders, plan.SourceOrders);
        output.WriteLine($"planned {plan.SourceOrders} orders, {plan.SourceItems} child rows");

        // The plan added the version column the monolith lacked, and a trigger per event on every legacy table.
        await using (var legacy = new MySqlConnection(setup.Topology.Legacy!.ConnectionString))
        {
            Assert.Equal(1L, await legacy.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'legacy' AND table_name = 't_order' AND column_name = 'row_version'"));
            Assert.Equal(10L, await legacy.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = 'legacy'"));
        }

        // Before the cutover a shard refuses a plain-SQL write to the team's tables.
        var early = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 3, ShardCount = TeamImport.ShardCount }).Next(1, 1);
        var refused = await Assert.ThrowsAsync<MySqlException>(() => setup.OnUserShardAsync(early.UserShard,
            "INSERT INTO {order_audit} (order_id, seq, actor, action, at) VALUES (@Id, 1, 'early', 'x', UTC_TIMESTAMP(6))", new { Id = early.Value }));
        Assert.Equal(new ShardFenceSignal(ShardDimension.User, early.UserShard, ShardFenceSignal.Legacy), ShardFenceSignal.Find(refused));
        Assert.Equal(Authority.Source, ShardFenceSignal.Find(refused)!.Side);

        using var stop = new CancellationTokenSource();
        var script = new TeamScript(setup.Topology.Legacy!.ConnectionString);
        var scriptTask = script.RunAsync(stop.Token);
        await Task.Delay(300);
        Assert.Empty(await migrator.StartAsync(CancellationToken.None));
        await Task.Delay(300);
        await migrator.BackfillAsync(progress: null, CancellationToken.None);
        await Task.Delay(300);
        await migrator.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        var cutover = await migrator.CutoverAsync(buckets: null, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.All(cutover, c => Assert.True(c.Switched, c.Error));
        await Task.Delay(500);
        await stop.CancelAsync();
        await scriptTask;
        output.WriteLine($"script: {script.Summary}");
        Assert.True(script.Failures.IsEmpty, string.Join("\n", script.Failures.Take(5)));
        Assert.True(script.Inserts > 5 && script.Updates > 5 && script.ChildUpdates > 5 && script.Deletes > 2, $"the script did too little: {script.Summary}");
        Assert.True(script.Refusals > 0, $"no write of the script was refused after the cutover: {script.Summary}");

        // Every bucket is equal on every column of every table the user shards hold (the user-only audit table and the
        // payment columns the merchant copy leaves out included); both dimensions agree.
        var final = await migrator.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        Assert.All(final, r => Assert.True(r.Equal, $"bucket {r.Bucket}: source {r.SourceCount} {r.SourceChecksum}, target {r.TargetCount} {r.TargetChecksum}"));
        Assert.Equal(Orders + script.Inserts - script.Deletes, final.Sum(r => r.TargetCount));
        var dimensions = await new DimensionVerifier(shards).VerifyAsync();
        Assert.True(dimensions.Equal, $"{dimensions.Remaining} merchant copies differ");

        // A seeded order reads on its shard as the monolith held it, under the declared names, its legacy key an alternate key.
        using var keys = new AlternateKeyStore(shards);
        var pick = Enumerable.Range(1, Orders).First(k => !script.Deleted.Contains(k));
        var seeded = (await keys.LookupAsync(AlternateKeyLegacyIdMap.Key(pick)))!.Target.OrderId!.Value;
        await using (var legacy = new MySqlConnection(setup.Topology.Legacy!.ConnectionString))
        {
            var source = await legacy.QuerySingleAsync<(long Buyer, string? Remark, byte[]? Signature, string Method)>(
                "SELECT o.buyer, o.buyer_remark, o.signature, p.pay_method FROM `legacy`.`t_order` o JOIN `legacy`.`t_payment` p ON p.order_ref = o.order_no AND p.payment_no = 1 WHERE o.order_no = @Pick", new { Pick = pick });
            var target = await setup.QueryUserShardAsync<(long Buyer, string? Remark, byte[]? Signature, string Method)>(seeded.UserShard,
                "SELECT o.buyer_id, o.buyer_note, o.signature, p.method FROM {trade_orders} o JOIN {order_payments} p ON p.order_id = o.id AND p.payment_no = 1 WHERE o.id = @Id", new { Id = seeded.Value });
            Assert.Equal((source.Buyer, source.Remark, source.Method), (target.Buyer, target.Remark, target.Method));
            Assert.Equal(source.Signature, target.Signature);
        }

        foreach (var deleted in script.Deleted.Take(10))
        {
            if ((await keys.LookupAsync(AlternateKeyLegacyIdMap.Key(deleted)))?.Target.OrderId is { } id)
            {
                Assert.Equal(0, await setup.QueryUserShardAsync<int>(id.UserShard, "SELECT COUNT(*) FROM {trade_orders} WHERE id = @Id", new { Id = id.Value }));
            }
        }

        // After the cutover plain SQL on the shards (an update, and a new order with a payment) reaches the monolith in its own
        // shape through the reverse flow: the new order gets a legacy key, and its payment holds it.
        Assert.Equal(1, await setup.OnUserShardAsync(seeded.UserShard, "UPDATE {trade_orders} SET buyer_note = 'from the shard', row_version = row_version + 1 WHERE id = @Id", new { Id = seeded.Value }));
        var born = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 4, ShardCount = TeamImport.ShardCount }).Next(11, 12);
        await setup.OnUserShardAsync(born.UserShard, """
            INSERT INTO {trade_orders} (id, buyer_id, shop_id, row_version, trade_no, goods_amount, currency, created_at, updated_at)
            VALUES (@Id, 11, 12, 1, 'BORN-ON-SHARD', 40.00, 'EUR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            INSERT INTO {order_payments} (order_id, payment_no, method, amount) VALUES (@Id, 1, 'card', 40.00);
            """, new { Id = born.Value });
        Assert.True(await migrator.ReverseAsync(follow: false, CancellationToken.None) >= 2);
        await using (var legacy = new MySqlConnection(setup.Topology.Legacy!.ConnectionString))
        {
            Assert.Equal("from the shard", await legacy.ExecuteScalarAsync<string>("SELECT buyer_remark FROM `legacy`.`t_order` WHERE order_no = @Pick", new { Pick = pick }));
            var bornKey = await legacy.ExecuteScalarAsync<long>("SELECT order_no FROM `legacy`.`t_order` WHERE shardkit_order_id = @Id AND buyer = 11 AND trade_no = 'BORN-ON-SHARD'", new { Id = born.Value });
            Assert.True(bornKey > Orders);
            Assert.Equal("card", await legacy.ExecuteScalarAsync<string>("SELECT pay_method FROM `legacy`.`t_payment` WHERE order_ref = @Key AND payment_no = 1", new { Key = bornKey }));
        }

        // Complete: the legacy tables are archived, and no capture trigger is left on either side.
        await migrator.CompleteAsync(CancellationToken.None);
        await using (var legacy = new MySqlConnection(setup.Topology.Legacy!.ConnectionString))
        {
            Assert.Equal(
                ["t_audit_archived", "t_order_archived", "t_payment_archived"],
                (await legacy.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'legacy' ORDER BY table_name")).ToArray());
            Assert.Equal(0L, await legacy.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = 'legacy'"));
        }

        foreach (var bucket in new[] { 0, TeamImport.ShardCount - 1 })
        {
            Assert.Equal(0, await setup.QueryUserShardAsync<int>(bucket, @"SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema LIKE 'sk\_user\_%'", new { }));
        }
    }

    [Fact]
    public async Task AMappingThatDoesNotMatchTheLegacyTablesIsRefusedByPlanNamingEveryProblemAndCreatesNothing()
    {
        var mapping = LegacyMapping();
        mapping["Root"]!["Columns"]!["buyer_note"] = "no_such_remark";
        mapping["Children"]![0]!["KeyColumn"] = "order_reference";
        await using var setup = await TeamImport.StartAsync(mapping);
        await setup.OnUserShardAsync(0, "ALTER TABLE {order_audit} ADD COLUMN audit_id BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY uk_audit_id (audit_id)", new { });
        using var migrator = new Migrator(setup.Migrator, new MigratorOptions());

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => migrator.PlanAsync(CancellationToken.None));
        Assert.Contains("legacy table legacy.t_order (for trade_orders) has no column no_such_remark (mapped from trade_orders.buyer_note)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("legacy table legacy.t_payment (for order_payments) has no key column order_reference", refused.Message, StringComparison.Ordinal);
        Assert.Contains("the shards' order_audit.audit_id is AUTO_INCREMENT", refused.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was created", refused.Message, StringComparison.Ordinal);
        await using var legacy = new MySqlConnection(setup.Topology.Legacy!.ConnectionString);
        Assert.Equal(0L, await legacy.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = 'legacy'"));
        Assert.Equal(0L, await legacy.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'legacy' AND column_name LIKE 'shardkit%'"));
    }

    /// <summary>The team's <c>ShardKit:LegacyTables</c>: its monolith's names for the declared tables and columns.</summary>
    private static JsonObject LegacyMapping() => new()
    {
        ["Root"] = new JsonObject
        {
            ["Name"] = "t_order",
            ["KeyColumn"] = "order_no",
            ["Columns"] = new JsonObject { ["buyer_id"] = "buyer", ["buyer_note"] = "buyer_remark" },
        },
        ["Children"] = new JsonArray(
            new JsonObject { ["Table"] = "order_payments", ["Name"] = "t_payment", ["KeyColumn"] = "order_ref", ["Columns"] = new JsonObject { ["method"] = "pay_method" } },
            new JsonObject { ["Table"] = "order_audit", ["Name"] = "t_audit", ["KeyColumn"] = "order_ref" }),
    };

    private static string Seed()
    {
        var random = new Random(11);
        var sql = new StringBuilder(LegacyDdl);
        for (var i = 1; i <= Orders; i++)
        {
            var created = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i * 7).AddTicks(random.Next(10_000_000) * 10L);
            var signature = i % 5 == 0 ? "NULL" : "X'" + Convert.ToHexString(Enumerable.Range(0, 16).Select(_ => (byte)random.Next(256)).ToArray()) + "'";
            var at = created.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
            var paid = i % 3 == 0 ? "'" + created.AddHours(1).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "'" : "NULL";
            var remark = i % 2 == 0 ? $"'note {i} — ünïcode ''quoted'''" : "NULL";
            var risk = i % 2 == 0 ? (random.NextDouble() * 100).ToString("R", CultureInfo.InvariantCulture) : "NULL";
            var second = i % 2 == 0 ? $", ({i}, 2, 'wallet', 2.50, '{at}', NULL)" : "";
            sql.Append(CultureInfo.InvariantCulture, $$"""
                INSERT INTO `legacy`.`t_order` (order_no, buyer, shop_id, trade_no, state, goods_amount, freight, discount, total, currency, buyer_remark,
                    invoice_title, address, attributes, signature, paid_at, created_at, updated_at, channel, is_gift, risk_score)
                VALUES ({{i}}, {{random.Next(1, Users + 1)}}, {{random.Next(1, Merchants + 1)}}, 'T-{{i:D6}}', '{{(i % 3 == 0 ? "paid" : "created")}}',
                    {{random.Next(100, 99_999)}}.{{random.Next(100):D2}}, 5.00, {{(i % 4 == 0 ? "1.50" : "NULL")}}, NULL, 'EUR',
                    {{remark}}, NULL, '{"city":"C{{i}}","zip":"{{i:D5}}"}', {{(i % 6 == 0 ? "'[1,2,3]'" : "NULL")}},
                    {{signature}}, {{paid}}, '{{at}}', '{{at}}', {{i % 4}}, {{(i % 7 == 0 ? "TRUE" : "FALSE")}}, {{risk}});
                INSERT INTO `legacy`.`t_payment` (order_ref, payment_no, pay_method, amount, paid_at, gateway_raw)
                VALUES ({{i}}, 1, 'card', 10.00, NULL, '{"ok":true}'){{second}};
                INSERT INTO `legacy`.`t_audit` (order_ref, seq, actor, action, at) VALUES ({{i}}, 1, 'system', 'created', '{{at}}');

                """);
        }

        return sql.ToString();
    }

    /// <summary>The topology: the team's tables on the shards (applied with <c>shardkit schema apply</c>), its monolith seeded.</summary>
    private sealed class TeamImport : IAsyncDisposable
    {
        public const int ShardCount = MigrationTopology.ShardCount;

        private TeamImport(MariaDbTopology topology, ShardKitDataSource migrator, ShardKitDataSource app)
        {
            Topology = topology;
            Migrator = migrator;
            App = app;
        }

        public MariaDbTopology Topology { get; }

        /// <summary>The migrator's data source (the migrator account, its sessions marked).</summary>
        public ShardKitDataSource Migrator { get; }

        /// <summary>The application's data source.</summary>
        public ShardKitDataSource App { get; }

        public static async Task<TeamImport> StartAsync(JsonObject legacyTables)
        {
            var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Legacy = true, Tls = false });
            try
            {
                await topology.Legacy!.ExecuteAsync(Seed());
                var appConfig = await WriteConfigAsync(topology, topology.ToConfigurationJson(), topology.Legacy.ConnectionString, legacyTables, "team-app.json");
                foreach (var (dimension, ddl) in new[] { ("user", TeamSchema.UserDdl), ("merchant", TeamSchema.MerchantDdl) })
                {
                    var script = Path.Combine(topology.Directory, $"team-{dimension}.sql");
                    await File.WriteAllTextAsync(script, ddl);
                    var (exitCode, _, error) = await TeamTablesFixture.RunAsync(SchemaCommand.Create(), "apply", "--config", appConfig, "--sql", script, "--dimension", dimension);
                    Assert.True(exitCode == 0, $"shardkit schema apply failed ({exitCode}): {error}");
                }

                var migratorConfig = await WriteConfigAsync(topology, topology.ToMigratorConfigurationJson(), topology.Legacy.MigratorConnectionString, legacyTables, "team-migrator.json");
                return new TeamImport(topology, new ShardKitDataSourceBuilder(MigrationTopology.Load(migratorConfig)).UseMigratorSessions().Build(), new ShardKitDataSourceBuilder(MigrationTopology.Load(appConfig)).Build());
            }
            catch
            {
                await topology.DisposeAsync();
                throw;
            }
        }

        public async Task<int> OnUserShardAsync(int bucket, string sql, object parameters)
        {
            var shard = await App.OpenAsync(App.Map.GetRoute(ShardDimension.User, bucket), ShardIntent.Write, CancellationToken.None);
            await using (shard)
            {
                return await shard.Connection.ExecuteAsync(shard.Sql(sql), parameters);
            }
        }

        public async Task<T> QueryUserShardAsync<T>(int bucket, string sql, object parameters)
        {
            var shard = await App.OpenAsync(App.Map.GetRoute(ShardDimension.User, bucket), ShardIntent.Write, CancellationToken.None);
            await using (shard)
            {
                return await shard.Connection.QuerySingleAsync<T>(shard.Sql(sql), parameters);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            await Migrator.DisposeAsync();
            await Topology.DisposeAsync();
        }

        private static async Task<string> WriteConfigAsync(MariaDbTopology topology, string topologyJson, string legacy, JsonObject legacyTables, string name)
        {
            var json = JsonNode.Parse(topologyJson)!;
            json["ShardKit"]!["Legacy"] = legacy + ";Database=legacy";
            json["ShardKit"]!["Dimensions"] = new JsonObject { ["User"] = MigrationTopology.Dimension(), ["Merchant"] = MigrationTopology.Dimension() };
            json["ShardKit"]!["Tables"] = TeamSchema.Declaration();
            json["ShardKit"]!["LegacyTables"] = legacyTables.DeepClone();
            var path = Path.Combine(topology.Directory, name);
            await File.WriteAllTextAsync(path, json.ToJsonString());
            return path;
        }
    }

    /// <summary>The team's own code writing its monolith with plain SQL, knowing nothing of ShardKit.</summary>
    private sealed class TeamScript(string connectionString) : LegacyScript(connectionString, 1, Orders)
    {
        protected override string InsertRoot => """
            INSERT INTO `legacy`.`t_order` (buyer, shop_id, trade_no, goods_amount, currency, buyer_remark, address, signature, created_at, updated_at, is_gift)
            VALUES (@Buyer, @Shop, @TradeNo, 99.90, 'EUR', 'scripted', '{"city":"S"}', X'00FF10', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), TRUE)
            """;

        protected override string InsertChildren => """
            INSERT INTO `legacy`.`t_payment` (order_ref, payment_no, pay_method, amount) VALUES (@Id, 1, 'script', 99.90);
            INSERT INTO `legacy`.`t_audit` (order_ref, seq, actor, action, at) VALUES (@Id, 1, 'script', 'created', UTC_TIMESTAMP(6));
            """;

        protected override string UpdateRoot => "UPDATE `legacy`.`t_order` SET buyer_remark = CONCAT('edited ', @N), state = 'paid' WHERE order_no = @Key";

        // A change to a child row alone: the trigger raises its order's version.
        protected override string UpdateChild => "UPDATE `legacy`.`t_payment` SET amount = amount + 1 WHERE order_ref = @Key AND payment_no = 1";

        protected override string DeleteChildren => "DELETE FROM `legacy`.`t_payment` WHERE order_ref = @Key; DELETE FROM `legacy`.`t_audit` WHERE order_ref = @Key";

        protected override string DeleteRoot => "DELETE FROM `legacy`.`t_order` WHERE order_no = @Key";

        protected override object InsertParameters(Random random, int n) =>
            new { Buyer = random.Next(1, Users + 1), Shop = random.Next(1, Merchants + 1), TradeNo = $"S-{n}-{random.Next()}" };
    }
}

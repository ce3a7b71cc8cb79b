using System.Data.Common;
using System.Diagnostics;
using Dapper;
using MySqlConnector;
using ShardKit.Migrations.Commands;
using ShardKit.Migrations.Migration;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// <c>migration --legacy-triggers</c>: what the legacy import's capture triggers (<see cref="ShardKit.Migration.LegacyCapture"/>)
/// cost a writer of the legacy tables. Two schemas on the legacy server with the same tables and columns: <c>legacy</c>, planned
/// and capturing (<c>migrate plan</c> and <c>start</c>: the triggers fence, version and log every write), and
/// <c>legacy_plain</c>, a copy without triggers. A plain-SQL writer (the application's account, one open connection per side)
/// runs the same writes on both in alternating blocks (AB, BA, ...), so both see the same load; each write is timed whole.
/// </summary>
internal static class LegacyTriggerCostScenario
{
    private const int Shards = 8;
    private const int Orders = 2000;
    private const int Users = 500;
    private const int Merchants = 100;

    public static async Task<int> RunAsync(MigrationLoadOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        log.WriteLine($"[legacy triggers] starting servers ({LoadAverage.Read()})");
        await using var topology = await MariaDbTopology.StartAsync(
            new MariaDbTopologyOptions { Clusters = 1, Replicas = 0, Legacy = true, Tls = false, BufferPoolMegabytes = 256 }, cancellationToken);
        var legacy = topology.Legacy!;
        await legacy.ExecuteAsync(LegacySeed.Script(Orders, Users, Merchants, seed: 42), cancellationToken);
        await legacy.ExecuteAsync(LegacySeed.Script(Orders, Users, Merchants, seed: 42).Replace("`legacy`", "`legacy_plain`", StringComparison.Ordinal), cancellationToken);

        await using (var migratorSource = new ShardKitDataSourceBuilder(MigrationDemo.Options(topology, Shards, migratorAccount: true)).UseMigratorSessions().Build())
        {
            using var migrator = new Migrator(migratorSource, new MigratorOptions());
            await migrator.PlanAsync(cancellationToken);
            await migrator.StartAsync(cancellationToken);
        }

        // The plain copy gets the columns the plan added, so both sides run the same statements.
        await legacy.ExecuteAsync("""
            ALTER TABLE `legacy_plain`.`orders` ADD COLUMN version BIGINT NOT NULL DEFAULT 1, ADD COLUMN shardkit_order_id BIGINT NULL, ADD COLUMN shardkit_bucket SMALLINT NULL;
            CREATE UNIQUE INDEX ux_shardkit_order ON `legacy_plain`.`orders` (shardkit_order_id);
            CREATE INDEX ix_shardkit_bucket ON `legacy_plain`.`orders` (shardkit_bucket, shardkit_order_id);
            """, cancellationToken);

        string[] schemas = ["legacy_plain", "legacy"];
        var connections = new DbConnection[2];
        var samples = schemas.Select(_ => (Create: new List<double>(), Update: new List<double>(), Item: new List<double>())).ToArray();
        var random = new Random(3);
        var before = LoadAverage.Read();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                connections[i] = new MySqlConnection(legacy.ConnectionString);
                await connections[i].OpenAsync(cancellationToken);
            }

            // One block per side unrecorded (plans, buffer pool), then the alternating rounds.
            for (var round = -1; round < options.TriggerRounds; round++)
            {
                foreach (var side in round % 2 == 0 ? [0, 1] : new[] { 1, 0 })
                {
                    for (var i = 0; i < options.TriggerBlock; i++)
                    {
                        var user = random.Next(1, Users + 1);
                        var existing = random.Next(1, Orders + 1);
                        var create = await CreateAsync(connections[side], schemas[side], user, cancellationToken);
                        var update = await TimeAsync(connections[side], $"UPDATE `{schemas[side]}`.`orders` SET status = 'paid', updated_at = UTC_TIMESTAMP(6) WHERE order_id = @Id", existing, cancellationToken);
                        var item = await TimeAsync(connections[side], $"UPDATE `{schemas[side]}`.`order_items` SET quantity = quantity + 1 WHERE order_id = @Id AND line_no = 1", existing, cancellationToken);
                        if (round >= 0)
                        {
                            samples[side].Create.Add(create);
                            samples[side].Update.Add(update);
                            samples[side].Item.Add(item);
                        }
                    }
                }
            }
        }
        finally
        {
            foreach (var connection in connections.Where(c => c is not null))
            {
                await connection.DisposeAsync();
            }
        }

        var after = LoadAverage.Read();
        TriggerCostRow[] rows =
        [
            TriggerCostRow.Of("create: INSERT an order and its 2 items (one transaction)", samples[0].Create, samples[1].Create),
            TriggerCostRow.Of("UPDATE one order by key (autocommit)", samples[0].Update, samples[1].Update),
            TriggerCostRow.Of("UPDATE one item by key (autocommit; raises its order's version)", samples[0].Item, samples[1].Item),
        ];

        log.WriteLine();
        log.WriteLine($"Legacy capture triggers' cost to a plain-SQL writer: `legacy_plain` without triggers, `legacy` planned and capturing; {samples[0].Create.Count} writes of each kind per side in alternating blocks; load {before} → {after}.");
        log.WriteLine();
        TriggerCostRow.WriteTable(log, "Write (one open connection, the application's account)", rows);

        return 0;
    }

    private static async Task<double> CreateAsync(DbConnection connection, string schema, int user, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO `{schema}`.`orders` (user_id, merchant_id, status, total_amount, currency, created_at, updated_at) VALUES (@User, 7, 'created', 19.00, 'EUR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))",
            new { User = user }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO `{schema}`.`order_items` (order_id, line_no, sku, quantity, unit_price) VALUES (LAST_INSERT_ID(), 1, 'SKU-1', 1, 9.50), (LAST_INSERT_ID(), 2, 'SKU-2', 1, 9.50)",
            transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static async Task<double> TimeAsync(DbConnection connection, string sql, int legacyId, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        var affected = await connection.ExecuteAsync(new CommandDefinition(sql, new { Id = legacyId }, cancellationToken: cancellationToken));
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return affected == 1 ? elapsed : throw new InvalidOperationException($"`{sql}` changed {affected} rows for legacy order {legacyId}.");
    }
}

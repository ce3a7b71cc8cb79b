using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Configuration;
using ShardKit.Migration;
using ShardKit.Migrations.Migration.Moves;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// A topology of its own per shard-move test: 2 (or more) clusters (without replicas unless asked), 4 shards per dimension placed on the first
/// two (0-1 on c0, 2-3 on c1), the two-dimension schema, and an application table <c>notes</c> in every user shard that only raw
/// SQL writes. <see cref="Mover"/> is the mover's data source (the topology's migrator account, as <see cref="ConfigPath"/> for the CLI),
/// <see cref="App"/> an application's that follows moves, <see cref="Stale"/> one that never learns of them (both the application's account).
/// </summary>
internal sealed class ShardMoveTopology : IAsyncDisposable
{
    public const int ShardCount = 4;

    private ShardMoveTopology(MariaDbTopology topology, string configPath, ShardKitOptions options, ShardKitDataSource mover, ShardKitDataSource app, ShardKitDataSource stale)
    {
        Topology = topology;
        ConfigPath = configPath;
        Options = options;
        Mover = mover;
        App = app;
        Stale = stale;
    }

    public MariaDbTopology Topology { get; }

    public string ConfigPath { get; }

    public ShardKitOptions Options { get; }

    public ShardKitDataSource Mover { get; }

    public ShardKitDataSource App { get; }

    public ShardKitDataSource Stale { get; }

    public static async Task<ShardMoveTopology> StartAsync(int clusters = 2, int replicas = 0)
    {
        var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = clusters, Replicas = replicas, Tls = false });
        try
        {
            // The application's configuration (its account) and the migrator's (the account with docs/migration.md's grants, no SUPER):
            // the mover and the CLI run with the migrator's, as a DBA runs them.
            var appConfigPath = await WriteConfigAsync(topology.ToConfigurationJson(), Path.Combine(topology.Directory, "move-topology.json"));
            var configPath = await WriteConfigAsync(topology.ToMigratorConfigurationJson(), Path.Combine(topology.Directory, "move-migrator.json"));

            // The application creates its schema with its own account.
            await using (var setup = new ShardKitDataSourceBuilder(MigrationTopology.Load(appConfigPath)).Build())
            {
                using (var store = new TwoDimensionOrderStore(setup))
                {
                    await store.EnsureSchemaAsync();
                }

                foreach (var route in setup.Map.GetRoutes(ShardDimension.User))
                {
                    var shard = await setup.OpenAsync(route, ShardIntent.Write);
                    await using (shard)
                    {
                        await shard.Connection.ExecuteAsync(shard.Sql(
                            "CREATE TABLE IF NOT EXISTS {schema}.`notes` (note_id BIGINT NOT NULL, user_id BIGINT NOT NULL, body VARCHAR(200) NULL, version INT NOT NULL, " +
                            "amount DECIMAL(65,10) NULL, span TIME(6) NULL, PRIMARY KEY (note_id))"));
                    }
                }
            }

            var options = MigrationTopology.Load(configPath);
            var mover = new ShardKitDataSourceBuilder(options).UseMigratorSessions().Build();
            var appOptions = MigrationTopology.Load(appConfigPath);
            appOptions.ShardMoves = new ShardMovesOptions { PollInterval = TimeSpan.FromMilliseconds(100), RetryWait = TimeSpan.FromSeconds(10) };
            return new ShardMoveTopology(topology, configPath, options, mover, new ShardKitDataSourceBuilder(appOptions).Build(), new ShardKitDataSourceBuilder(MigrationTopology.Load(appConfigPath)).Build());
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    public ShardMover NewMover(int chunkSize = 50) => new(Mover, new ShardMoverOptions { ChunkSize = chunkSize, MaxPause = TimeSpan.FromSeconds(1) });

    /// <summary>User IDs whose orders live in user shard <paramref name="shard"/>.</summary>
    public static List<long> UsersOf(int shard, int count) =>
        Enumerable.Range(1, 10_000).Select(i => (long)i).Where(u => ShardFunctions.UserShard(u, ShardCount) == shard).Take(count).ToList();

    public OrderIdGenerator Ids(int workerId) => new(new OrderIdGeneratorOptions { WorkerId = workerId, ShardCount = ShardCount });

    /// <summary>Opens <paramref name="cluster"/>'s primary straight (no routing, no fence bypass).</summary>
    public Task<System.Data.Common.DbConnection> OpenClusterAsync(string cluster) =>
        Mover.OpenClusterAsync(Mover.Map.Clusters.Single(c => c.Name == cluster), CancellationToken.None).AsTask();

    /// <summary>
    /// The two dimensions hold the same orders (0 lost, 0 duplicated merchant copies), once the outbox relay (an application's,
    /// normally) has delivered the merchant copies that a fence refused mid-switch and that stayed in the outbox.
    /// </summary>
    public async Task AssertDimensionsEqualAsync()
    {
        using (var store = new TwoDimensionOrderStore(App))
        {
            var relay = new OutboxRelay(store, new OutboxRelayOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(100) });
            var drained = System.Diagnostics.Stopwatch.StartNew();
            while (true)
            {
                await relay.DrainAsync();
                var lag = await store.GetLagAsync();
                if ((lag.Pending == 0 && !lag.Incomplete) || drained.Elapsed > TimeSpan.FromSeconds(60))
                {
                    Assert.True(lag.Pending == 0, $"the relay did not drain: {lag.Pending} entries pending");
                    break;
                }

                await Task.Delay(100);
            }
        }

        var dimensions = await new DimensionVerifier(App).VerifyAsync();
        Assert.True(dimensions.Equal, $"the dimensions differ: {string.Join("; ", dimensions.Differences.Select(d => d.ToString()))} {string.Join("; ", dimensions.Shards.Where(s => s.Error is not null).Select(s => s.Error))}");
    }

    /// <summary>Every row of every table of <paramref name="schema"/> on <paramref name="cluster"/> (the move's own tables left out), as text, per table.</summary>
    public async Task<Dictionary<string, List<string>>> SnapshotAsync(string cluster, string schema)
    {
        var connection = await OpenClusterAsync(cluster);
        await using (connection)
        {
            var tables = (await connection.QueryAsync<string>(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = @Schema AND table_type = 'BASE TABLE' AND table_name NOT IN @Own ORDER BY table_name",
                new { Schema = schema, Own = ShardFence.OwnTables })).ToList();
            var snapshot = new Dictionary<string, List<string>>();
            foreach (var table in tables)
            {
                var rows = new List<string>();
                var reader = await connection.ExecuteReaderAsync($"SELECT * FROM `{schema}`.`{table}`");
                await using (reader)
                {
                    while (await reader.ReadAsync())
                    {
                        // A DECIMAL column is read exactly (the notes' amounts are wider than .NET's decimal).
                        rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i =>
                            reader.IsDBNull(i) ? "NULL"
                            : reader.GetFieldType(i) == typeof(decimal) ? reader.GetFieldValue<MySqlConnector.MySqlDecimal>(i).ToString()
                            : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
                    }
                }

                rows.Sort(StringComparer.Ordinal);
                snapshot[table] = rows;
            }

            return snapshot;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Stale.DisposeAsync();
        await Mover.DisposeAsync();
        await Topology.DisposeAsync();
    }

    private static async Task<string> WriteConfigAsync(string topologyJson, string path)
    {
        var json = JsonNode.Parse(topologyJson)!;
        json["ShardKit"]!["Dimensions"] = new JsonObject { ["User"] = Dimension(), ["Merchant"] = Dimension() };
        await File.WriteAllTextAsync(path, json.ToJsonString());
        return path;
    }

    private static JsonObject Dimension() => new()
    {
        ["ShardCount"] = ShardCount,
        ["Placement"] = new JsonArray(
            new JsonObject { ["Shards"] = "0-1", ["Cluster"] = "c0" },
            new JsonObject { ["Shards"] = "2-3", ["Cluster"] = "c1" }),
    };
}

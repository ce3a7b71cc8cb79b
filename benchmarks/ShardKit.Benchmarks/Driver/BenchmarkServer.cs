using ShardKit.MySqlClient;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Driver;

/// <summary>
/// One local MariaDB server for a benchmark class: started in [GlobalSetup], disposed in [GlobalCleanup].
/// TLS is off so that the figures measure the protocol, not the cipher (sysbench connects without TLS too).
/// </summary>
internal sealed class BenchmarkServer : IAsyncDisposable
{
    private BenchmarkServer(MariaDbTopology topology, MySqlDataSource dataSource)
    {
        Topology = topology;
        DataSource = dataSource;
    }

    public MariaDbTopology Topology { get; }

    public MariaDbServer Server => Topology.Clusters[0].Primary;

    /// <summary>A pooled data source on <see cref="Database"/>.</summary>
    public MySqlDataSource DataSource { get; }

    public const string Database = "bench";

    /// <summary>Rows in <c>items</c>, ids 1 to <see cref="ItemCount"/>.</summary>
    public const int ItemCount = 1000;

    public static async Task<BenchmarkServer> StartAsync()
    {
        var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 0, Tls = false });
        try
        {
            var server = topology.Clusters[0].Primary;
            await server.ExecuteAsync(
                $"""
                CREATE DATABASE {Database};
                CREATE TABLE {Database}.items (
                    id         BIGINT        NOT NULL PRIMARY KEY,
                    name       VARCHAR(64)   NOT NULL,
                    amount     DECIMAL(18,2) NOT NULL,
                    created_at DATETIME(6)   NOT NULL
                ) ENGINE = InnoDB;
                CREATE TABLE {Database}.inserts (
                    id         BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
                    name       VARCHAR(64)   NOT NULL,
                    amount     DECIMAL(18,2) NOT NULL,
                    created_at DATETIME(6)   NOT NULL
                ) ENGINE = InnoDB;
                INSERT INTO {Database}.items (id, name, amount, created_at)
                SELECT seq, CONCAT('item-', seq), seq * 1.25, TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq SECOND
                FROM {Database}.seq_1_to_{ItemCount};
                """);
            var dataSource = new MySqlDataSource(server.ConnectionString + $";Database={Database};SslMode=None");
            return new BenchmarkServer(topology, dataSource);
        }
        catch
        {
            await topology.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Topology.DisposeAsync();
    }
}

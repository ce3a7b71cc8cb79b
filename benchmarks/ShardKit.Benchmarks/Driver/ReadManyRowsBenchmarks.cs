using BenchmarkDotNet.Attributes;
using Dapper;

namespace ShardKit.Benchmarks.Driver;

/// <summary>Reading 1,000 rows into objects on a pooled connection: raw ADO.NET reader loop (baseline) vs Dapper QueryAsync (buffered).</summary>
[MemoryDiagnoser]
public class ReadManyRowsBenchmarks
{
    private const string Sql = "SELECT id AS Id, name AS Name, amount AS Amount, created_at AS CreatedAt FROM items ORDER BY id";

    private BenchmarkServer _server = null!;

    // Synchronous setup and cleanup: BenchmarkDotNet's in-process toolchain does not await async ones.
    [GlobalSetup]
    public void Setup() => _server = BenchmarkServer.StartAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "ADO.NET reader loop")]
    public async Task<int> RawReader()
    {
        await using var connection = await _server.DataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        await using var reader = await command.ExecuteReaderAsync();
        var items = new List<Item>(BenchmarkServer.ItemCount);
        while (await reader.ReadAsync())
        {
            items.Add(new Item { Id = reader.GetInt64(0), Name = reader.GetString(1), Amount = reader.GetDecimal(2), CreatedAt = reader.GetDateTime(3) });
        }

        return items.Count;
    }

    [Benchmark(Description = "Dapper QueryAsync")]
    public async Task<int> DapperQuery()
    {
        await using var connection = await _server.DataSource.OpenConnectionAsync();
        var items = await connection.QueryAsync<Item>(Sql);
        return items.AsList().Count;
    }
}

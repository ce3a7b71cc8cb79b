using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Dapper;
using ShardKit.MySqlClient;

namespace ShardKit.Benchmarks.Driver;

/// <summary>
/// Point select by primary key with ShardKit.MySqlClient: raw ADO.NET reader (baseline) vs Dapper, both on a
/// connection rented from the pool per operation (how services work) and on one connection held open (the driver
/// alone, without the pool's rent, reset and return). The raw reader's allocation is the driver's own per point select.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PointSelectBenchmarks
{
    private const string Sql = "SELECT id AS Id, name AS Name, amount AS Amount, created_at AS CreatedAt FROM items WHERE id = @id";

    private BenchmarkServer _server = null!;
    private MySqlConnection _open = null!;
    private long _next;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _server = await BenchmarkServer.StartAsync();
        _open = await _server.DataSource.OpenConnectionAsync();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _open.DisposeAsync();
        await _server.DisposeAsync();
    }

    private long NextId() => (_next++ % BenchmarkServer.ItemCount) + 1;

    [Benchmark(Baseline = true, Description = "ADO.NET reader")]
    [BenchmarkCategory("Pooled open per query")]
    public async Task<Item> RawReaderPooled()
    {
        await using var connection = await _server.DataSource.OpenConnectionAsync();
        return await ReadItemAsync(connection, NextId());
    }

    [Benchmark(Description = "Dapper QuerySingleAsync")]
    [BenchmarkCategory("Pooled open per query")]
    public async Task<Item> DapperPooled()
    {
        await using var connection = await _server.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<Item>(Sql, new { id = NextId() });
    }

    [Benchmark(Baseline = true, Description = "ADO.NET reader")]
    [BenchmarkCategory("Connection held open")]
    public Task<Item> RawReaderOpen() => ReadItemAsync(_open, NextId());

    [Benchmark(Description = "Dapper QuerySingleAsync")]
    [BenchmarkCategory("Connection held open")]
    public Task<Item> DapperOpen() => _open.QuerySingleAsync<Item>(Sql, new { id = NextId() });

    private static async Task<Item> ReadItemAsync(MySqlConnection connection, long id)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.Parameters.AddWithValue("@id", id);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Item { Id = reader.GetInt64(0), Name = reader.GetString(1), Amount = reader.GetDecimal(2), CreatedAt = reader.GetDateTime(3) };
    }
}

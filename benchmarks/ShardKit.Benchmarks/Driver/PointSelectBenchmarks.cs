using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Dapper;
using ShardKit.MySqlClient;

namespace ShardKit.Benchmarks.Driver;

/// <summary>
/// Point select by primary key with ShardKit.MySqlClient: raw ADO.NET reader (baseline) vs Dapper, both on a
/// connection rented from the pool per operation (how services work) and on one connection held open (the driver
/// alone, without the pool's rent, reset and return). The benchmark methods' own async state machines are pooled
/// (<see cref="PoolingAsyncValueTaskMethodBuilder{TResult}"/>), so Allocated is what the driver (and Dapper) allocate plus
/// the row itself: in the ADO.NET rows, the <see cref="Item"/> and its name string (about 100 bytes); the rest is the driver's.
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

    // Synchronous setup and cleanup: BenchmarkDotNet's in-process toolchain does not await async ones.
    [GlobalSetup]
    public void Setup()
    {
        _server = BenchmarkServer.StartAsync().GetAwaiter().GetResult();
        _open = _server.DataSource.OpenConnection();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _open.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private long NextId() => (_next++ % BenchmarkServer.ItemCount) + 1;

    [Benchmark(Baseline = true, Description = "ADO.NET reader")]
    [BenchmarkCategory("Pooled open per query")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Item> RawReaderPooled()
    {
        await using var connection = await _server.DataSource.OpenConnectionAsync();
        return await ReadItemAsync(connection, NextId());
    }

    [Benchmark(Description = "Dapper QuerySingleAsync")]
    [BenchmarkCategory("Pooled open per query")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Item> DapperPooled()
    {
        await using var connection = await _server.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<Item>(Sql, new { id = NextId() });
    }

    [Benchmark(Baseline = true, Description = "ADO.NET reader")]
    [BenchmarkCategory("Connection held open")]
    public ValueTask<Item> RawReaderOpen() => ReadItemAsync(_open, NextId());

    [Benchmark(Description = "Dapper QuerySingleAsync")]
    [BenchmarkCategory("Connection held open")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Item> DapperOpen() => await _open.QuerySingleAsync<Item>(Sql, new { id = NextId() });

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<Item> ReadItemAsync(MySqlConnection connection, long id)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.Parameters.AddWithValue("@id", id);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Item { Id = reader.GetInt64(0), Name = reader.GetString(1), Amount = reader.GetDecimal(2), CreatedAt = reader.GetDateTime(3) };
    }
}

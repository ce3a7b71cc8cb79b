using BenchmarkDotNet.Attributes;
using Dapper;

namespace ShardKit.Benchmarks.Driver;

/// <summary>Single-row insert (autocommit) on a pooled connection: raw ADO.NET ExecuteNonQuery (baseline) vs Dapper ExecuteAsync.</summary>
[MemoryDiagnoser]
public class InsertBenchmarks
{
    private const string Sql = "INSERT INTO inserts (name, amount, created_at) VALUES (@name, @amount, @createdAt)";
    private static readonly DateTime s_createdAt = new(2026, 11, 21, 12, 0, 0, DateTimeKind.Utc);

    private BenchmarkServer _server = null!;

    // Synchronous setup and cleanup: BenchmarkDotNet's in-process toolchain does not await async ones.
    [GlobalSetup]
    public void Setup() => _server = BenchmarkServer.StartAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "ADO.NET ExecuteNonQuery")]
    public async Task<int> RawInsert()
    {
        await using var connection = await _server.DataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.Parameters.AddWithValue("@name", "benchmark-item");
        command.Parameters.AddWithValue("@amount", 12.34m);
        command.Parameters.AddWithValue("@createdAt", s_createdAt);
        return await command.ExecuteNonQueryAsync();
    }

    [Benchmark(Description = "Dapper ExecuteAsync")]
    public async Task<int> DapperInsert()
    {
        await using var connection = await _server.DataSource.OpenConnectionAsync();
        return await connection.ExecuteAsync(Sql, new { name = "benchmark-item", amount = 12.34m, createdAt = s_createdAt });
    }
}

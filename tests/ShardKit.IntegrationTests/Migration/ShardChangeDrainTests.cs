using System.Data.Common;
using Dapper;
using Polly;
using ShardKit.Migration;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The jobs' one drain of a shard's change table (<see cref="ShardChangeDrain"/>) on a schema of its own: batches in sequence
/// order, each key once per table, apply first and delete after, exactly the batch, up to the last change present at the start.
/// The jobs' applies over it: the shard move tests and the import's reverse-flow tests.
/// </summary>
[Collection("Topology")]
public sealed class ShardChangeDrainTests(TopologyFixture fixture) : IAsyncLifetime
{
    private readonly string _schemaName = "skcd_" + Guid.NewGuid().ToString("N")[..12];
    private ShardKitDataSource _shards = null!;
    private DbConnection _connection = null!;

    private string Schema => ShardFence.Quote(_schemaName);

    public async Task InitializeAsync()
    {
        _shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();
        _connection = await _shards.OpenClusterAsync(_shards.Map.Clusters[0], default);
        await _connection.ExecuteAsync($"CREATE DATABASE {Schema}");
        foreach (var statement in ShardFence.CreateTables(Schema, ShardFenceRow.Serving(1)))
        {
            await _connection.ExecuteAsync(statement);
        }
    }

    public async Task DisposeAsync()
    {
        await _connection.ExecuteAsync($"DROP DATABASE IF EXISTS {Schema}");
        await _connection.DisposeAsync();
        await _shards.DisposeAsync();
    }

    [Fact]
    public async Task HandsEachBatchItsKeysOncePerTableInSequenceOrderThenDeletesExactlyThatBatch()
    {
        await LogAsync(("orders", "[1]"), ("order_items", "[1, 10]"), ("orders", "[1]"), ("orders", "[2]"), ("order_items", "[2, \"a\"]"));
        var batches = new List<IReadOnlyList<ShardChanges>>();
        var leftAtHook = new List<long>();
        var drain = new ShardChangeDrain(3, ResiliencePipeline.Empty, async () => leftAtHook.Add(await CountAsync()));

        var consumed = await drain.DrainAsync(_connection, Schema, (batch, _) => { batches.Add(batch); return Task.CompletedTask; }, default);

        Assert.Equal(5, consumed);
        Assert.Equal(2, batches.Count);
        Assert.Equal(new[] { "orders", "order_items" }, batches[0].Select(c => c.Table));
        Assert.Equal(Keys([1L]), batches[0][0].Keys);
        Assert.Equal(Keys([1L, 10L]), batches[0][1].Keys);
        Assert.Equal(new[] { "orders", "order_items" }, batches[1].Select(c => c.Table));
        Assert.Equal(Keys([2L]), batches[1][0].Keys);
        Assert.Equal(Keys([2L, "a"]), batches[1][1].Keys);

        // The hook runs after each apply and before the delete: the batch's rows are still there.
        Assert.Equal(new[] { 5L, 2L }, leftAtHook);
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task AnApplyThatFailsDeletesNothingAndTheNextDrainAppliesTheSameKeys()
    {
        await LogAsync(("orders", "[7]"), ("orders", "[8]"));
        var drain = new ShardChangeDrain(10, ResiliencePipeline.Empty);

        await Assert.ThrowsAsync<SimulatedCrashException>(() => drain.DrainAsync(_connection, Schema, (_, _) => throw new SimulatedCrashException("apply"), default));
        Assert.Equal(2, await CountAsync());

        var applied = new List<object?[]>();
        Assert.Equal(2, await drain.DrainAsync(_connection, Schema, (batch, _) => { applied.AddRange(batch.SelectMany(c => c.Keys)); return Task.CompletedTask; }, default));
        Assert.Equal(Keys([7L], [8L]), applied);
        Assert.Equal(0, await CountAsync());
    }

    [Fact]
    public async Task StopsAtTheLastChangePresentWhenItStartedSoItEndsWhileWritersKeepLogging()
    {
        await LogAsync(("orders", "[1]"));
        var drain = new ShardChangeDrain(1, ResiliencePipeline.Empty);
        var batches = 0;

        // Every apply logs a new change, as a writer would while the drain runs.
        var consumed = await drain.DrainAsync(_connection, Schema, async (_, _) => { batches++; await LogAsync(("orders", "[2]")); }, default);

        Assert.Equal(1, consumed);
        Assert.Equal(1, batches);
        Assert.Equal(1, await CountAsync());
    }

    private async Task LogAsync(params (string Table, string Key)[] changes)
    {
        foreach (var (table, key) in changes)
        {
            await _connection.ExecuteAsync($"INSERT INTO {Schema}.`{ShardFence.ChangeTable}` (table_name, row_key) VALUES (@Table, @Key)", new { Table = table, Key = key });
        }
    }

    private static object?[][] Keys(params object?[][] keys) => keys;

    private Task<long> CountAsync() => _connection.ExecuteScalarAsync<long>(ShardFence.CountChangesSql(Schema));
}

using System.Diagnostics;
using Dapper;
using ShardKit.Migrations.Migration;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// What the shard mover's capture triggers cost a writer: single-order writes (an autocommit one-row <c>INSERT</c> of an
/// order, then an autocommit one-row <c>UPDATE</c> of it by key) on a user shard without triggers and on another user shard
/// of the same cluster whose move has been started (<c>move-shard</c> PLAN: fence, change table and the three triggers per
/// table installed, nothing copied yet). The two sides run in alternating blocks (AB, BA, AB, ...) so both see the same load;
/// each side holds one open connection, and only the statement is timed.
/// </summary>
internal static class TriggerCostProbe
{
    private const string Insert = """
        INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext)
        VALUES (@OrderId, @UserId, @MerchantId, 'created', 9.50, 'EUR', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 1, NULL)
        """;

    private const string Update = "UPDATE {orders} SET status = 'paid', updated_at = UTC_TIMESTAMP(6), version = version + 1 WHERE order_id = @OrderId";

    public static async Task<TriggerCost> RunAsync(ShardKitDataSource dataSource, int plainShard, int capturedShard, int rounds, int block, CancellationToken cancellationToken)
    {
        var shards = dataSource.Map.GetShardCount(ShardDimension.User);
        var ids = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 60, ShardCount = shards });
        var sides = new[] { plainShard, capturedShard };
        var users = sides.Select(s => Enumerable.Range(5_000_000, 100_000).First(u => ShardFunctions.UserShard(u, shards) == s)).ToArray();
        var samples = sides.Select(_ => (Insert: new List<double>(), Update: new List<double>())).ToArray();
        var connections = new ShardConnection[2];
        for (var i = 0; i < 2; i++)
        {
            connections[i] = await dataSource.OpenAsync(dataSource.Map.GetRoute(ShardDimension.User, sides[i]), ShardIntent.Write, cancellationToken);
        }

        var before = LoadAverage.Read();
        try
        {
            // One block per side unrecorded (plans, pool, buffer pool), then the alternating rounds.
            for (var round = -1; round < rounds; round++)
            {
                foreach (var side in round % 2 == 0 ? [0, 1] : new[] { 1, 0 })
                {
                    var shard = connections[side];
                    for (var i = 0; i < block; i++)
                    {
                        var id = ids.Next(users[side], merchantId: 1 + (i % 300)).Value;
                        var insert = await TimeAsync(shard, Insert, new { OrderId = id, UserId = users[side], MerchantId = 1 + (i % 300) }, cancellationToken);
                        var update = await TimeAsync(shard, Update, new { OrderId = id }, cancellationToken);
                        if (round >= 0)
                        {
                            samples[side].Insert.Add(insert);
                            samples[side].Update.Add(update);
                        }
                    }
                }
            }
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }

        return new TriggerCost(plainShard, capturedShard, samples[0].Insert.Count, before, LoadAverage.Read(),
            [TriggerCostRow.Of("INSERT one order", samples[0].Insert, samples[1].Insert), TriggerCostRow.Of("UPDATE one order by key", samples[0].Update, samples[1].Update)]);
    }

    private static async Task<double> TimeAsync(ShardConnection shard, string sql, object parameters, CancellationToken cancellationToken)
    {
        var command = new CommandDefinition(shard.Sql(sql), parameters, cancellationToken: cancellationToken);
        var start = Stopwatch.GetTimestamp();
        var affected = await shard.Connection.ExecuteAsync(command);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return affected == 1 ? elapsed : throw new InvalidOperationException($"{sql.Split(' ', 2)[0]} on {shard.Route.Name} changed {affected} rows.");
    }
}

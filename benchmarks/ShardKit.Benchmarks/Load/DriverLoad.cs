using System.Diagnostics;
using ShardKit.MySqlClient;

namespace ShardKit.Benchmarks.Load;

/// <summary>
/// Pooled point selects through ShardKit.MySqlClient: <c>SELECT c FROM sbtest1 WHERE id=@id</c> with uniformly random
/// ids, the query sysbench's oltp_point_select runs, from a number of concurrent workers for a fixed time.
/// </summary>
internal sealed class DriverLoad(MySqlDataSource dataSource, int tableSize)
{
    private const string Sql = "SELECT c FROM sbtest1 WHERE id=@id";

    /// <summary>Runs <paramref name="workers"/> workers for <paramref name="duration"/> after a short warm-up and returns what was measured.</summary>
    /// <param name="holdConnection">True: each worker keeps one connection for the run; false: each query opens and closes a pooled connection.</param>
    public async Task<LoadResult> RunAsync(int workers, TimeSpan duration, bool holdConnection, string client)
    {
        // Warm-up: JIT, pool filled to the worker count, server caches hot.
        await MeasureAsync(workers, TimeSpan.FromSeconds(1), holdConnection);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var (histogram, elapsed) = await MeasureAsync(workers, duration, holdConnection);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        return new LoadResult(
            client,
            workers,
            histogram.Count,
            elapsed.TotalSeconds,
            histogram.PercentileMilliseconds(50),
            histogram.PercentileMilliseconds(99),
            histogram.Count == 0 ? null : (double)allocated / histogram.Count);
    }

    private async Task<(LatencyHistogram Histogram, TimeSpan Elapsed)> MeasureAsync(int workers, TimeSpan duration, bool holdConnection)
    {
        var histograms = new LatencyHistogram[workers];
        for (var i = 0; i < workers; i++)
        {
            histograms[i] = new LatencyHistogram();
        }

        var held = new MySqlConnection?[workers];
        if (holdConnection)
        {
            for (var i = 0; i < workers; i++)
            {
                held[i] = await dataSource.OpenConnectionAsync();
            }
        }

        try
        {
            using var stop = new CancellationTokenSource();
            var tasks = new Task[workers];
            var start = Stopwatch.GetTimestamp();
            stop.CancelAfter(duration);
            for (var i = 0; i < workers; i++)
            {
                var worker = i;
                tasks[i] = Task.Run(() => WorkerAsync(held[worker], histograms[worker], new Random(worker + 1), stop.Token));
            }

            await Task.WhenAll(tasks);
            var elapsed = Stopwatch.GetElapsedTime(start);
            var total = new LatencyHistogram();
            foreach (var histogram in histograms)
            {
                total.Add(histogram);
            }

            return (total, elapsed);
        }
        finally
        {
            foreach (var connection in held)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }
            }
        }
    }

    private async Task WorkerAsync(MySqlConnection? held, LatencyHistogram histogram, Random random, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var id = random.Next(1, tableSize + 1);
            var start = Stopwatch.GetTimestamp();
            if (held is not null)
            {
                await SelectAsync(held, id);
            }
            else
            {
                await using var connection = await dataSource.OpenConnectionAsync(CancellationToken.None);
                await SelectAsync(connection, id);
            }

            histogram.Record(start, Stopwatch.GetTimestamp());
        }
    }

    private static async Task SelectAsync(MySqlConnection connection, long id)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.Parameters.AddWithValue("@id", id);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync() || reader.GetString(0).Length == 0)
        {
            throw new InvalidOperationException($"sbtest1 has no row with id {id}.");
        }
    }
}

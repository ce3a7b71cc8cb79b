using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Dapper;
using Microsoft.Extensions.Logging;

namespace ShardKit.Orders;

/// <summary>
/// Marks the outbox entries of inline merchant copies applied off the writer's path: a write that has committed its
/// merchant copy hands the mark over and returns; one background loop marks what has queued up with one statement per
/// user shard. A mark that is lost (a crash, a failed statement, the store disposed first) leaves the entry pending, and
/// the relay's apply of it finds the copy already at that version: nothing is written twice in a way that matters.
/// </summary>
internal sealed class OutboxMarker : IDisposable
{
    private const int MaxBatch = 5000;

    // The user shards of one batch are marked side by side: one loop writing one statement per shard in turn falls
    // behind a busy writer spread over many shards.
    private const int Parallelism = 8;

    // How long Dispose waits for the marks already queued (a store disposed at shutdown leaves few to the relay).
    private static readonly TimeSpan s_disposeWait = TimeSpan.FromSeconds(2);

    private readonly Channel<(ShardRoute Route, long OrderId, long Version)> _queue =
        Channel.CreateUnbounded<(ShardRoute, long, long)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly ShardKitDataSource _dataSource;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private long _pending;

    public OutboxMarker(ShardKitDataSource dataSource, ILogger logger)
    {
        _dataSource = dataSource;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues the mark of <paramref name="orderId"/>'s entries up to <paramref name="version"/> on its user shard.</summary>
    public void Enqueue(ShardRoute userShard, OrderId orderId, long version)
    {
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite((userShard, orderId.Value, version)))
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Waits until every mark queued so far has been written or has failed (tests and tools).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        while (Interlocked.Read(ref _pending) > 0)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Stops taking marks and waits up to 2 s for the ones queued to be written; any left then are left to the relay.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _loop.Wait(s_disposeWait);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<(ShardRoute Route, long OrderId, long Version)>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && reader.TryRead(out var mark))
            {
                batch.Add(mark);
            }

            var shards = batch.GroupBy(m => m.Route.Name, StringComparer.Ordinal).Select(g => g.ToList()).ToList();
            await Parallel.ForEachAsync(shards, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (marks, _) =>
            {
                try
                {
                    await MarkAsync(marks[0].Route, marks).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is DbException or ShardKitException or TimeoutException or InvalidOperationException)
                {
                    OutboxLog.MarkFailed(_logger, ex, marks.Count, marks[0].Route.Name);
                }
                finally
                {
                    Interlocked.Add(ref _pending, -marks.Count);
                }
            }).ConfigureAwait(false);

            batch.Clear();
        }
    }

    private async Task MarkAsync(ShardRoute route, List<(ShardRoute Route, long OrderId, long Version)> marks)
    {
        // The same route object may come from an older map: route by the shard, on the current map.
        var current = _dataSource.Map.GetRoute(route.Dimension, route.Shard);
        var shard = await _dataSource.OpenAsync(current, ShardIntent.Write).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var (sql, parameters) = MarkStatement(shard, marks.Select(m => (m.OrderId, m.Version)).ToList(), OrderReader.Now(_dataSource.TimeProvider).UtcDateTime);
            await shard.Connection.ExecuteAsync(sql, parameters).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The one statement that marks orders' outbox entries applied, each up to its version (the merchant copy holds that
    /// version or a newer one): used here and by a migration's batch apply.
    /// </summary>
    internal static (string Sql, DynamicParameters Parameters) MarkStatement(ShardConnection userShard, IReadOnlyList<(long OrderId, long Version)> marks, DateTime now)
    {
        var sql = new StringBuilder(userShard.Sql("UPDATE {schema}.`shardkit_outbox` SET applied_at = @Now WHERE applied_at IS NULL AND order_id IN @Ids AND ("));
        var parameters = new DynamicParameters();
        for (var i = 0; i < marks.Count; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            sql.Append(i == 0 ? "" : " OR ").Append("(order_id = @MarkO").Append(n).Append(" AND version <= @MarkV").Append(n).Append(')');
            parameters.Add("MarkO" + n, marks[i].OrderId);
            parameters.Add("MarkV" + n, marks[i].Version);
        }

        parameters.Add("Ids", marks.Select(m => m.OrderId).Distinct().ToArray());
        parameters.Add("Now", now);
        return (sql.Append(')').ToString(), parameters);
    }
}

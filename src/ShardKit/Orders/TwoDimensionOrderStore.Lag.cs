using System.Collections.Concurrent;
using Dapper;

namespace ShardKit.Orders;

/// <summary>The lag between the dimensions: the age of the oldest outbox entry not yet applied.</summary>
public sealed partial class TwoDimensionOrderStore
{
    private const string PendingStats = "SELECT COUNT(*), MIN(created_at) FROM {schema}.`shardkit_outbox` WHERE applied_at IS NULL";

    /// <summary>
    /// Measures, on every user shard, how many outbox entries are not yet applied to the merchant dimension and how
    /// old the oldest is. The result also updates the <c>shardkit.dimension.lag</c> gauges of the <c>ShardKit</c> meter.
    /// </summary>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <returns>Per-shard lag; a shard that cannot be reached has <see cref="ShardLag.Error"/> set.</returns>
    public async Task<DimensionLag> GetLagAsync(CancellationToken cancellationToken = default)
    {
        var routes = DataSource.Map.GetRoutes(ShardDimension.User).ToList();
        var results = new ConcurrentDictionary<int, ShardLag>();
        await Parallel.ForEachAsync(
            routes,
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (route, ct) => results[route.Shard] = await MeasureLagAsync(route, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return new DimensionLag
        {
            MeasuredAt = DataSource.TimeProvider.GetUtcNow(),
            Shards = routes.Select(r => results[r.Shard]).ToList(),
        };
    }

    internal async Task<ShardLag> MeasureLagAsync(ShardRoute route, CancellationToken cancellationToken)
    {
        try
        {
            var shard = await DataSource.OpenAsync(route, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                var (pending, oldest) = await shard.Connection.QuerySingleAsync<(long, DateTime?)>(
                    new CommandDefinition(shard.Sql(PendingStats), cancellationToken: cancellationToken)).ConfigureAwait(false);
                var lag = oldest is { } time ? LagSince(OrderReader.Utc(time)) : TimeSpan.Zero;
                Metrics.Record(route.Name, lag, pending);
                return new ShardLag { Shard = route.Name, Pending = pending, Lag = lag };
            }
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or ShardKitException)
        {
            return new ShardLag { Shard = route.Name, Pending = 0, Lag = TimeSpan.Zero, Error = ex.Message };
        }
    }

    private TimeSpan LagSince(DateTimeOffset oldest)
    {
        var lag = DataSource.TimeProvider.GetUtcNow() - oldest;
        return lag < TimeSpan.Zero ? TimeSpan.Zero : lag;
    }
}

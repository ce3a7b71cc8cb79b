using System.Data.Common;
using System.Globalization;

namespace ShardKit.Connections;

/// <summary>Grows endpoints' pools ahead of traffic (<see cref="ShardKitDataSource.WarmUpAsync"/>).</summary>
internal static class PoolWarmer
{
    /// <summary>
    /// Opens <paramref name="connectionsPerEndpoint"/> connections at once on every endpoint, in parallel, and returns them to
    /// their pools; an endpoint that fails does not stop the others and is named in <see cref="WarmUpResult.Failures"/>.
    /// </summary>
    public static async Task<WarmUpResult> WarmUpAsync(IEnumerable<EndpointState> endpoints, int connectionsPerEndpoint, CancellationToken cancellationToken)
    {
        var pools = endpoints.Select(e => (e.Endpoint, e.Pool)).ToList();
        var results = await Task.WhenAll(pools.Select(e => WarmEndpointAsync(e.Endpoint, e.Pool, connectionsPerEndpoint, cancellationToken))).ConfigureAwait(false);
        return new WarmUpResult(
            pools.Count,
            results.Sum(r => r.Opened),
            results.Where(r => r.Failure is not null).Select(r => r.Failure!).ToList());
    }

    private static async Task<(int Opened, string? Failure)> WarmEndpointAsync(ShardEndpoint endpoint, DbDataSource pool, int count, CancellationToken cancellationToken)
    {
        // Hold every connection open at the same time, so the pool really grows to `count`.
        var opens = Enumerable.Range(0, count).Select(async _ =>
        {
            try
            {
                return (Connection: await pool.OpenConnectionAsync(cancellationToken).ConfigureAwait(false), Error: (Exception?)null);
            }
            catch (DbException ex)
            {
                return (Connection: (DbConnection?)null, Error: (Exception?)ex);
            }
        }).ToList();
        var outcomes = await Task.WhenAll(opens).ConfigureAwait(false);
        foreach (var (connection, _) in outcomes)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        var opened = outcomes.Count(o => o.Connection is not null);
        var error = outcomes.Select(o => o.Error).FirstOrDefault(e => e is not null);
        return (opened, error is null ? null : string.Create(CultureInfo.InvariantCulture, $"{endpoint.Address}: {opened} of {count} connections opened: {error.Message}"));
    }
}

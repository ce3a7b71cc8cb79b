using System.Data.Common;
using System.Globalization;

namespace ShardKit;

public sealed partial class ShardKitDataSource
{
    /// <summary>The most connections per endpoint <see cref="WarmUpAsync"/> opens.</summary>
    public const int MaxWarmUpConnectionsPerEndpoint = 1000;

    /// <summary>
    /// Opens <paramref name="connectionsPerEndpoint"/> connections at once to every primary and replica of the current
    /// map and returns them to their pools, so that a traffic peak (a promotion) does not start by paying for
    /// connection set-up. Endpoints are warmed in parallel; one that fails does not stop the others and is named in
    /// <see cref="WarmUpResult.Failures"/>.
    /// </summary>
    /// <param name="connectionsPerEndpoint">Connections to hold open at once per endpoint, 1 to <see cref="MaxWarmUpConnectionsPerEndpoint"/>; keep it within the provider's maximum pool size.</param>
    /// <param name="cancellationToken">Cancels the warm-up.</param>
    public async Task<WarmUpResult> WarmUpAsync(int connectionsPerEndpoint = 4, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(connectionsPerEndpoint, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(connectionsPerEndpoint, MaxWarmUpConnectionsPerEndpoint);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var endpoints = CurrentEndpoints().Select(e => (e.Endpoint, e.Pool)).ToList();
        var results = await Task.WhenAll(endpoints.Select(e => WarmEndpointAsync(e.Endpoint, e.Pool, connectionsPerEndpoint, cancellationToken))).ConfigureAwait(false);
        return new WarmUpResult(
            endpoints.Count,
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

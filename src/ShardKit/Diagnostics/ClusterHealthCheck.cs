using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ShardKit.Diagnostics;

/// <summary>
/// The health of one cluster: <see cref="HealthStatus.Unhealthy"/> when its primary cannot be reached (or its breaker is
/// open), <see cref="HealthStatus.Degraded"/> when the primary is fine but a replica is ejected or behind an open breaker,
/// otherwise <see cref="HealthStatus.Healthy"/>. The data names endpoints as <c>host:port</c> and replica lags in
/// milliseconds; no connection string or password.
/// </summary>
internal sealed class ClusterHealthCheck : IHealthCheck
{
    private readonly ShardKitDataSource _shards;
    private readonly string _cluster;

    public ClusterHealthCheck(ShardKitDataSource shards, string cluster)
    {
        _shards = shards;
        _cluster = cluster;
    }

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var cluster = _shards.Map.Clusters.FirstOrDefault(c => string.Equals(c.Name, _cluster, StringComparison.OrdinalIgnoreCase));
        if (cluster is null)
        {
            return HealthCheckResult.Healthy($"Cluster '{_cluster}' is no longer in the shard map.");
        }

        var statuses = _shards.GetEndpointStatuses().Where(s => s.Cluster == cluster.Name).ToList();
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["primary"] = cluster.Primary.Address };
        foreach (var replica in statuses.Where(s => s.IsReplica))
        {
            data["replica " + replica.Endpoint.Address] = replica.IsEjected ? "ejected"
                : replica.IsCircuitOpen ? "circuit open"
                : replica.Lag is { } lag ? string.Create(CultureInfo.InvariantCulture, $"lag {lag.TotalMilliseconds:0} ms")
                : "lag not measured";
        }

        try
        {
            var connection = await _shards.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var command = connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = "SELECT 1";
                    await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is DbException or ShardKitException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"The primary {cluster.Primary.Address} of cluster '{cluster.Name}' cannot be reached: {ex.Message}", data: data);
        }

        var unavailable = statuses.Where(s => s.IsReplica && (s.IsEjected || s.IsCircuitOpen)).Select(s => s.Endpoint.Address).ToList();
        return unavailable.Count == 0
            ? HealthCheckResult.Healthy($"Cluster '{cluster.Name}': primary reachable, {statuses.Count - 1} replica(s) serving reads.", data)
            : HealthCheckResult.Degraded($"Cluster '{cluster.Name}': primary reachable; replicas not serving reads: {string.Join(", ", unavailable)}.", data: data);
    }
}

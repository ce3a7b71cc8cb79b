using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using ShardKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ShardKit's health checks.</summary>
public static class ShardKitHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds one health check per cluster of the registered <see cref="ShardKitDataSource"/>'s map, named
    /// <c>{namePrefix}:{cluster}</c>: unhealthy when the cluster's primary cannot be reached, degraded when a replica is
    /// ejected or behind an open circuit breaker. The clusters are those of the map when health checks are first resolved.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="namePrefix">The prefix of the check names.</param>
    /// <param name="tags">Tags for every check (for example <c>ready</c>).</param>
    public static IHealthChecksBuilder AddShardKitHealthChecks(this IHealthChecksBuilder builder, string namePrefix = "shardkit", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(namePrefix);
        var tagList = tags?.ToList() ?? [];
        builder.Services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(provider =>
            new ConfigureOptions<HealthCheckServiceOptions>(options =>
            {
                var shards = provider.GetRequiredService<ShardKitDataSource>();
                foreach (var cluster in shards.Map.Clusters)
                {
                    options.Registrations.Add(new HealthCheckRegistration(
                        namePrefix + ":" + cluster.Name,
                        _ => new ClusterHealthCheck(shards, cluster.Name),
                        HealthStatus.Unhealthy,
                        tagList));
                }
            }));
        return builder;
    }
}

using System.Data.Common;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// After a migration step failed on a lost or refused connection: which servers of the topology cannot be reached now, by
/// cluster name, so that the DBA knows what to bring back before <c>shardkit migrate resume</c>. (A connection lost in the
/// middle of a statement says nothing about which server it was connected to.)
/// </summary>
internal static class ServerReachability
{
    /// <summary>Opens a connection to the legacy database and to every cluster's primary, side by side; one sentence on which failed.</summary>
    /// <returns>The sentence, and whether some server cannot be reached.</returns>
    public static async Task<(string Sentence, bool AnyDown)> DescribeAsync(ShardKitDataSource dataSource, CancellationToken cancellationToken)
    {
        var checks = dataSource.Map.Clusters
            .Select(cluster => CheckAsync($"cluster '{cluster.Name}' (primary {cluster.Primary.Address})", () => dataSource.OpenClusterAsync(cluster, cancellationToken)))
            .ToList();
        if (dataSource.Map.Legacy is { } legacy)
        {
            checks.Add(CheckAsync($"the legacy database ({legacy.Address})", () => dataSource.OpenLegacyAsync(cancellationToken)));
        }

        var down = (await Task.WhenAll(checks)).OfType<string>().ToList();
        return down.Count == 0
            ? ("Every server answers now; `shardkit migrate resume` continues.", false)
            : ($"Cannot be reached now: {string.Join(", ", down)}; `shardkit migrate resume` continues once it is back.", true);
    }

    private static async Task<string?> CheckAsync(string what, Func<ValueTask<DbConnection>> open)
    {
        try
        {
            var connection = await open();
            await connection.DisposeAsync();
            return null;
        }
        catch (Exception ex) when (ex is DbException or ShardKitException or TimeoutException)
        {
            return what;
        }
    }
}

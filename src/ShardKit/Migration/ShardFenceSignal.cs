using System.Data.Common;
using System.Globalization;
using ShardKit.Routing;

namespace ShardKit.Migration;

/// <summary>
/// The error every fence trigger raises (<c>SIGNAL SQLSTATE '45000'</c>) when a write reaches a copy that does not serve it:
/// <c>shardkit-fence user:17 cluster:c2: ...</c>, naming the shard (a legacy import's bucket is its user shard) and who serves
/// it now: <see cref="Legacy"/> (the legacy database), <see cref="Shards"/> (the shards, raised by the legacy database's triggers)
/// or <c>cluster:</c> and a cluster name (a moved shard). The triggers write it (<see cref="ShardFence"/>,
/// <see cref="LegacyCapture"/>); this is the one place that reads it.
/// </summary>
internal sealed record ShardFenceSignal(ShardDimension Dimension, int Shard, string ServedBy)
{
    /// <summary>The text every signal starts with, then the shard, a space and who serves it, then <c>": "</c> and the explanation.</summary>
    public const string Prefix = "shardkit-fence ";

    /// <summary>Served by the legacy database (a legacy import before the bucket's cutover, or after its rollback).</summary>
    public const string Legacy = "legacy";

    /// <summary>Served by the shards (a legacy import after the bucket's cutover; only the legacy database says this).</summary>
    public const string Shards = "shards";

    /// <summary>Served by a cluster: this, then the cluster's name.</summary>
    public const string ClusterPrefix = "cluster:";

    /// <summary><c>user:17</c> or <c>merchant:17</c>.</summary>
    public string ShardName => ShardSlot.FormatName(Dimension, Shard);

    /// <summary>The cluster that serves the shard; null when the legacy database or the shards of an import serve it.</summary>
    public string? Cluster => ServedBy.StartsWith(ClusterPrefix, StringComparison.Ordinal) ? ServedBy[ClusterPrefix.Length..] : null;

    /// <summary>The side of a legacy import that serves the bucket (<see cref="Shard"/>); null when a cluster serves it.</summary>
    public Authority? Side => ServedBy switch
    {
        Legacy => Authority.Source,
        Shards => Authority.Target,
        _ => null,
    };

    /// <summary>What the fence row's <c>served_by</c> and the signal say for cluster <paramref name="cluster"/>.</summary>
    public static string ServedByCluster(string cluster) => ClusterPrefix + cluster;

    /// <summary>Finds a fence's signal in <paramref name="exception"/> or its inner exceptions; null when there is none.</summary>
    public static ShardFenceSignal? Find(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException { SqlState: "45000" } db && db.Message.StartsWith(Prefix, StringComparison.Ordinal) && Parse(db.Message) is { } signal)
            {
                return signal;
            }
        }

        return null;
    }

    private static ShardFenceSignal? Parse(string message)
    {
        // "shardkit-fence user:17 cluster:c2: ...", "shardkit-fence user:17 legacy: ..."
        var text = message[Prefix.Length..];
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var end = text.IndexOf(": ", StringComparison.Ordinal);
        if (space <= 0 || end <= space + 1)
        {
            return null;
        }

        var shard = text[..space].Split(':');
        var servedBy = text[(space + 1)..end];
        if (shard.Length != 2 || !int.TryParse(shard[1], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !(servedBy is Legacy or Shards || (servedBy.StartsWith(ClusterPrefix, StringComparison.Ordinal) && servedBy.Length > ClusterPrefix.Length)))
        {
            return null;
        }

        return shard[0] switch
        {
            "user" => new ShardFenceSignal(ShardDimension.User, index, servedBy),
            "merchant" => new ShardFenceSignal(ShardDimension.Merchant, index, servedBy),
            _ => null,
        };
    }
}

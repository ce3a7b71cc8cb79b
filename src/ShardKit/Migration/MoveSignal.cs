using System.Data.Common;

namespace ShardKit.Migration;

/// <summary>
/// The error a moved (or not yet moved-in) shard's fence trigger raises (<c>SIGNAL SQLSTATE '45000'</c>) when a write reaches a
/// side that is not authoritative: <c>shardkit-moved user:17 c2: ...</c>, naming the shard and the cluster that serves it now.
/// The trigger text is built by <c>shardkit move-shard</c>; this is the one place that reads it.
/// </summary>
internal sealed record MoveSignal(ShardDimension Dimension, int Shard, string Cluster)
{
    public const string Prefix = "shardkit-moved ";

    public string ShardName => ShardSlot.FormatName(Dimension, Shard);

    /// <summary>Finds the fence's signal in <paramref name="exception"/> or its inner exceptions.</summary>
    public static MoveSignal? Find(Exception? exception)
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

    private static MoveSignal? Parse(string message)
    {
        // "shardkit-moved user:17 c2: ..."
        var parts = message[Prefix.Length..].Split(' ', 3);
        if (parts.Length < 2)
        {
            return null;
        }

        var shard = parts[0].Split(':');
        var cluster = parts[1].TrimEnd(':');
        if (shard.Length != 2 || !int.TryParse(shard[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            return null;
        }

        return shard[0] switch
        {
            "user" => new MoveSignal(ShardDimension.User, index, cluster),
            "merchant" => new MoveSignal(ShardDimension.Merchant, index, cluster),
            _ => null,
        };
    }
}

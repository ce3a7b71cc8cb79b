using Microsoft.Extensions.Logging;

namespace ShardKit.Leases;

/// <summary>Log messages of the shard leases (event IDs 4200-4299).</summary>
internal static partial class ShardLeaseLog
{
    [LoggerMessage(EventId = 4201, Level = LogLevel.Information,
        Message = "{Kind} leases on cluster {Cluster}: {Holder} now holds {Held} of {Shards} user shards ({Claimed} claimed, {Released} released, {Holders} live instances)")]
    public static partial void Changed(ILogger logger, string kind, string cluster, string holder, int held, int shards, int claimed, int released, int holders);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning,
        Message = "Could not renew the {Kind} leases on cluster {Cluster}; its shards are worked on until the leases lapse")]
    public static partial void RenewFailed(ILogger logger, Exception exception, string kind, string cluster);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Information, Message = "Released the {Kind} leases of {Holder}")]
    public static partial void Released(ILogger logger, string kind, string holder);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning,
        Message = "Could not release the {Kind} leases on cluster {Cluster}; other instances take them over when they lapse")]
    public static partial void ReleaseFailed(ILogger logger, Exception exception, string kind, string cluster);
}

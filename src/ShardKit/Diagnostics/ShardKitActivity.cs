using System.Diagnostics;

namespace ShardKit.Diagnostics;

/// <summary>
/// The <c>ShardKit</c> activity source (<see cref="ShardKitTelemetry.ActivitySourceName"/>, with the package version).
/// Every routed connection is one span (<c>shardkit.connection</c>, kind client) from open to dispose, tagged with the
/// OpenTelemetry database conventions (<c>db.system.name</c>, <c>server.address</c>, <c>server.port</c>,
/// <c>db.namespace</c>) and ShardKit's dimension, shard, cluster, endpoint (<c>host:port</c>, never a password) and role.
/// </summary>
internal static class ShardKitActivity
{
    public const string ConnectionSpan = "shardkit.connection";

    public static ActivitySource Source { get; } = new(ShardKitTelemetry.ActivitySourceName, ShardKitTelemetry.Version);
}

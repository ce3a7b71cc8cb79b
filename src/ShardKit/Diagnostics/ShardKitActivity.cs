using System.Diagnostics;

namespace ShardKit.Diagnostics;

/// <summary>
/// The <c>ShardKit</c> activity source. Every routed connection is one span (<c>shardkit.connection</c>, kind client) from
/// open to dispose, tagged with the dimension, shard, endpoint (<c>host:port</c>, never a password) and role.
/// </summary>
internal static class ShardKitActivity
{
    public const string SourceName = "ShardKit";
    public const string ConnectionSpan = "shardkit.connection";

    public static ActivitySource Source { get; } = new(SourceName);
}

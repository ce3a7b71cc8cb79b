namespace ShardKit.Diagnostics;

/// <summary>The tag names ShardKit's metrics and spans use. Values are names and <c>host:port</c>, never connection strings.</summary>
internal static class TelemetryTags
{
    public const string Dimension = "shardkit.dimension";
    public const string Shard = "shardkit.shard";
    public const string Cluster = "shardkit.cluster";
    public const string Endpoint = "shardkit.endpoint";
    public const string Role = "shardkit.role";
    public const string ErrorType = "error.type";
    public const string Reason = "shardkit.reason";
    public const string DbSystemName = "db.system.name";
    public const string DbNamespace = "db.namespace";
    public const string ServerAddress = "server.address";
    public const string ServerPort = "server.port";
    public const string MySql = "mysql";
    public const string MariaDb = "mariadb";
    public const string Primary = "primary";
    public const string Replica = "replica";
}

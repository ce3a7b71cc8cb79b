namespace ShardKit.Topology;

/// <summary>One physical cluster: a primary that takes writes and the replicas that follow it.</summary>
public sealed class ShardClusterOptions
{
    /// <summary>The cluster's name, referred to by placement entries (for example <c>c0</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>The connection string of the primary (<c>Server</c>, <c>Port</c>, <c>User ID</c>, <c>Password</c>).</summary>
    public string Primary { get; set; } = "";

    /// <summary>The connection strings of the replicas.</summary>
    public IList<string> Replicas { get; set; } = new List<string>();
}

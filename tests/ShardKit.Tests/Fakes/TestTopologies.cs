namespace ShardKit.Tests.Fakes;

/// <summary>Topologies for unit tests: fake endpoints on distinct ports, never contacted.</summary>
public static class TestTopologies
{
    public const string Password = "S3cret-Pa55";

    public static string Endpoint(int port) => $"Server=127.0.0.1;Port={port};User ID=root;Password={Password}";

    /// <summary>
    /// The shape <c>shardkit dev up</c> writes: named clusters, one replica each, no placement. Background replica probing
    /// is off, so that the statements and opens tests count are their own (the replica health tests drive probes themselves).
    /// </summary>
    public static ShardKitOptions DevUp(int clusters = 2) => new()
    {
        ReplicaHealth = NoProbing(),
        Clusters = Enumerable.Range(0, clusters).Select(i => new ShardClusterOptions
        {
            Name = $"c{i}",
            Primary = Endpoint(3310 + (i * 2)),
            Replicas = [Endpoint(3311 + (i * 2))],
        }).ToList(),
    };

    /// <summary>Replica health options with background probing off.</summary>
    public static ReplicaHealthOptions NoProbing() => new() { HeartbeatInterval = TimeSpan.Zero };

    public static ShardPlacementOptions Place(string shards, string cluster) => new() { Shards = shards, Cluster = cluster };
}

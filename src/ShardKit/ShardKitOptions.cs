namespace ShardKit;

/// <summary>
/// The <c>ShardKit</c> configuration section: the physical clusters and how the logical shards of
/// each dimension are placed on them. The file written by <c>shardkit dev up</c> binds to it directly.
/// </summary>
public sealed class ShardKitOptions : IValidatedOptions
{
    /// <summary>The name of the configuration section the options are bound from.</summary>
    public const string SectionName = "ShardKit";

    /// <summary>The physical clusters: each a primary and its replicas. Cluster names must be unique.</summary>
    public IList<ShardClusterOptions> Clusters { get; set; } = new List<ShardClusterOptions>();

    /// <summary>The connection string of the pre-sharding monolith, when there is one.</summary>
    public string? Legacy { get; set; }

    /// <summary>
    /// The connection strings of the legacy monolith's replicas (GTID replicas of <see cref="Legacy"/>), when there are any. They
    /// are only read: the legacy import's backfill reads its chunks from them instead of the legacy primary (docs/migration.md, "Backfill"),
    /// and the copy throttle counts their lag.
    /// </summary>
    public IList<string> LegacyReplicas { get; set; } = new List<string>();

    /// <summary>The version of the shard map; raise it whenever the placement changes. At least 1.</summary>
    public long MapVersion { get; set; } = 1;

    /// <summary>Shard count, schema naming and placement of the user and merchant dimensions.</summary>
    public ShardDimensionsOptions Dimensions { get; set; } = new();

    /// <summary>
    /// How long a replica may take to apply a read's causal token before the read goes to the primary
    /// (more than zero, at most 10 seconds). Default 50 ms.
    /// </summary>
    public TimeSpan CausalReadWait { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Replica lag measurement, ejection and re-admission, and the cap on fallbacks to the primary.</summary>
    public ReplicaHealthOptions ReplicaHealth { get; set; } = new();

    /// <summary>Timeouts, circuit breaker and concurrency limit of every physical endpoint.</summary>
    public EndpointResilienceOptions Resilience { get; set; } = new();

    /// <summary>Pool sizes and TLS given to every endpoint's MySqlConnector pool.</summary>
    public ShardConnectionOptions Connections { get; set; } = new();

    /// <summary>
    /// Follow shard moves (<c>shardkit move-shard</c>): when set, the data source polls the placement overrides in the control
    /// schema and routes moved shards to their new cluster. Null (the default): the placement of this section only.
    /// </summary>
    public ShardMovesOptions? ShardMoves { get; set; }

    /// <summary>
    /// The team's sharded order tables (<c>ShardKit:Tables</c>): the root table and its child tables, and what the merchant
    /// dimension keeps of each. Null (the default): ShardKit's built-in order schema (<see cref="TableModel.BuiltIn"/>).
    /// </summary>
    public ShardTablesOptions? Tables { get; set; }

    /// <summary>
    /// How the legacy monolith's order tables map onto the sharded tables, for the legacy import (<c>ShardKit:LegacyTables</c>).
    /// Null (the default): each sharded table is read from the legacy table of the same name.
    /// </summary>
    public LegacyTablesOptions? LegacyTables { get; set; }

    // Every problem of the map (clusters, placements, resilience, tables), each naming its entry.
    IEnumerable<string> IValidatedOptions.Validate() => ShardMap.Validate(this).Select(e => "ShardKit topology: " + e);
}

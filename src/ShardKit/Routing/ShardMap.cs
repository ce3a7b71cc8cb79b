
namespace ShardKit.Routing;

/// <summary>
/// The compiled, immutable shard map: for every logical shard of both dimensions, its cluster, endpoint
/// and schema. Built from validated <see cref="ShardKitOptions"/>; routing through it allocates nothing.
/// </summary>
public sealed partial class ShardMap
{
    private readonly ShardSlot[] _user;
    private readonly ShardSlot[] _merchant;

    internal ShardMap(long version, IReadOnlyList<ShardCluster> clusters, ShardEndpoint? legacy, TopologyPlan user, TopologyPlan merchant, TableModel? tables = null, LegacyTables? legacyTables = null)
    {
        Version = version;
        Tables = tables ?? TableModel.BuiltIn;
        LegacyTables = legacyTables ?? LegacyTables.SameNames(Tables);
        Clusters = clusters;
        Legacy = legacy;
        _user = CreateSlots(ShardDimension.User, user);
        _merchant = CreateSlots(ShardDimension.Merchant, merchant);
    }

    /// <summary>The map version from <see cref="ShardKitOptions.MapVersion"/>.</summary>
    public long Version { get; }

    /// <summary>The physical clusters, in configuration order.</summary>
    public IReadOnlyList<ShardCluster> Clusters { get; }

    /// <summary>The sharded tables every shard holds (<see cref="ShardKitOptions.Tables"/>, or the built-in order schema).</summary>
    public TableModel Tables { get; }

    /// <summary>How the legacy monolith's tables map onto <see cref="Tables"/> (<see cref="ShardKitOptions.LegacyTables"/>).</summary>
    internal LegacyTables LegacyTables { get; }

    /// <summary>The pre-sharding monolith, when one is configured.</summary>
    public ShardEndpoint? Legacy { get; }

    /// <summary>The replicas of <see cref="Legacy"/> (<see cref="ShardKitOptions.LegacyReplicas"/>), in configuration order; only read.</summary>
    internal IReadOnlyList<ShardEndpoint> LegacyReplicas { get; init; } = [];

    /// <summary>Compiles <paramref name="options"/> into a map.</summary>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidTopology"/>, with every validation error in the message.
    /// </exception>
    public static ShardMap Create(ShardKitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var map = TopologyCompiler.Compile(options, out var errors);
        return map ?? throw new ShardKitException(
            ShardKitErrorCode.InvalidTopology,
            "The ShardKit topology is invalid: " + string.Join("; ", errors));
    }

    /// <summary>Checks <paramref name="options"/> and returns every error found (empty when the map is valid).</summary>
    public static IReadOnlyList<string> Validate(ShardKitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        TopologyCompiler.Compile(options, out var errors);
        return errors;
    }

    /// <summary>The number of logical shards of <paramref name="dimension"/>.</summary>
    public int GetShardCount(ShardDimension dimension) => Slots(dimension).Length;

    /// <summary>The route of logical shard <paramref name="shard"/> of <paramref name="dimension"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shard"/> is not a shard of the dimension.</exception>
    public ShardRoute GetRoute(ShardDimension dimension, int shard)
    {
        var slots = Slots(dimension);
        if ((uint)shard >= (uint)slots.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(shard), shard, $"The {ShardSlot.DimensionName(dimension)} dimension has shards 0 to {slots.Length - 1}.");
        }

        return new ShardRoute(slots[shard]);
    }

    /// <summary>The routes of every logical shard of <paramref name="dimension"/>, in shard order.</summary>
    public IEnumerable<ShardRoute> GetRoutes(ShardDimension dimension)
    {
        foreach (var slot in Slots(dimension))
        {
            yield return new ShardRoute(slot);
        }
    }

    /// <summary>Returns <c>map v{Version}: N clusters, U user shards, M merchant shards</c>.</summary>
    public override string ToString() =>
        $"map v{Version}: {Clusters.Count} clusters, {_user.Length} user shards, {_merchant.Length} merchant shards";

    internal ShardSlot[] Slots(ShardDimension dimension) => dimension switch
    {
        ShardDimension.User => _user,
        ShardDimension.Merchant => _merchant,
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be User or Merchant."),
    };

    private ShardSlot[] CreateSlots(ShardDimension dimension, TopologyPlan plan)
    {
        var slots = new ShardSlot[plan.Schemas.Length];
        for (var shard = 0; shard < slots.Length; shard++)
        {
            slots[shard] = new ShardSlot(this, dimension, shard, plan.Schemas[shard], Clusters[plan.ClusterIndexes[shard]]);
        }

        return slots;
    }
}

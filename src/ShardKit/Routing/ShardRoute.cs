
namespace ShardKit.Routing;

/// <summary>
/// Where one logical shard lives: its dimension and index, cluster, endpoint and schema, as of the map
/// that computed it. Computing a route allocates nothing; it is a reference into the compiled map.
/// </summary>
public readonly struct ShardRoute : IEquatable<ShardRoute>
{
    private readonly ShardSlot? _slot;

    internal ShardRoute(ShardSlot slot)
    {
        _slot = slot;
    }

    /// <summary>The shard's dimension.</summary>
    public ShardDimension Dimension => Slot.Dimension;

    /// <summary>The logical shard index, from 0 to the dimension's shard count minus 1.</summary>
    public int Shard => Slot.Shard;

    /// <summary>The shard's name as used in messages: <c>user:17</c> or <c>merchant:17</c>.</summary>
    public string Name => Slot.Name;

    /// <summary>The physical schema (database) holding the shard's <c>orders</c> and <c>order_items</c>.</summary>
    public string Schema => Slot.Schema;

    /// <summary>The cluster serving the shard.</summary>
    public ShardCluster Cluster => Slot.Cluster;

    /// <summary>The endpoint routed connections go to: the cluster's primary in this version.</summary>
    public ShardEndpoint Endpoint => Slot.Cluster.Primary;

    /// <summary>The version of the map that computed this route.</summary>
    public long MapVersion => Slot.Map.Version;

    internal ShardSlot Slot => _slot ?? throw new InvalidOperationException("This ShardRoute is default; routes come from a ShardMap.");

    /// <summary>Whether both routes designate the same shard of the same compiled map.</summary>
    public static bool operator ==(ShardRoute left, ShardRoute right) => left.Equals(right);

    /// <summary>Whether the routes designate different shards or come from different compiled maps.</summary>
    public static bool operator !=(ShardRoute left, ShardRoute right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(ShardRoute other) => ReferenceEquals(_slot, other._slot);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ShardRoute other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => _slot?.GetHashCode() ?? 0;

    /// <summary>Returns for example <c>user:17 -&gt; c0 (127.0.0.1:3306) sk_user_017</c>; never a password.</summary>
    public override string ToString() =>
        _slot is null ? "(no route)" : $"{_slot.Name} -> {_slot.Cluster.Name} ({_slot.Cluster.Primary.Address}) {_slot.Schema}";
}

namespace ShardKit.Topology;

/// <summary>The settings of both shard dimensions.</summary>
public sealed class ShardDimensionsOptions
{
    /// <summary>The user dimension (orders sharded by user ID).</summary>
    public ShardDimensionOptions User { get; set; } = new();

    /// <summary>The merchant dimension (orders sharded by merchant ID).</summary>
    public ShardDimensionOptions Merchant { get; set; } = new();

    /// <summary>Returns the settings of <paramref name="dimension"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is not a defined dimension.</exception>
    public ShardDimensionOptions Get(ShardDimension dimension) => dimension switch
    {
        ShardDimension.User => User,
        ShardDimension.Merchant => Merchant,
        _ => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be User or Merchant."),
    };
}

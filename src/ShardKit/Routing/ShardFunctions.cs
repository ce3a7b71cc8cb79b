
namespace ShardKit.Routing;

/// <summary>
/// The frozen functions that place a user or a merchant on a logical shard. For a given shard count the result
/// never changes between versions of ShardKit: the shard of an ID is the splitmix64 finalizer of
/// (ID + a per-dimension salt), reduced to [0, shardCount) by multiply-high (see docs/order-ids.md).
/// </summary>
public static class ShardFunctions
{
    /// <summary>The largest shard count per dimension: order IDs carry each shard number in 7 bits.</summary>
    public const int MaxShardCount = OrderIdLayout.MaxShardCount;

    /// <summary>The number of shards per dimension ShardKit deploys by default.</summary>
    public const int DefaultShardCount = OrderIdLayout.DefaultShardCount;

    /// <summary>Returns the user shard (0 to <paramref name="shardCount"/> − 1) that holds the orders of <paramref name="userId"/>.</summary>
    /// <param name="userId">A user ID; must be positive.</param>
    /// <param name="shardCount">The number of user shards, 1 to 128.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> is not positive or <paramref name="shardCount"/> is outside 1..128.</exception>
    public static int UserShard(long userId, int shardCount)
    {
        ValidateId(userId, nameof(userId), "user");
        ValidateShardCount(shardCount);
        return ShardHash.Shard(userId, ShardHash.UserSalt, shardCount);
    }

    /// <summary>Returns the merchant shard (0 to <paramref name="shardCount"/> − 1) that holds the orders of <paramref name="merchantId"/>.</summary>
    /// <param name="merchantId">A merchant ID; must be positive.</param>
    /// <param name="shardCount">The number of merchant shards, 1 to 128.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="merchantId"/> is not positive or <paramref name="shardCount"/> is outside 1..128.</exception>
    public static int MerchantShard(long merchantId, int shardCount)
    {
        ValidateId(merchantId, nameof(merchantId), "merchant");
        ValidateShardCount(shardCount);
        return ShardHash.Shard(merchantId, ShardHash.MerchantSalt, shardCount);
    }

    internal static void ValidateShardCount(int shardCount, string paramName = "shardCount")
    {
        if (shardCount is < 1 or > MaxShardCount)
        {
            throw new ArgumentOutOfRangeException(paramName, shardCount, $"The shard count must be between 1 and {MaxShardCount} (order IDs carry shard numbers in 7 bits); got {shardCount}.");
        }
    }

    private static void ValidateId(long id, string paramName, string what)
    {
        if (id <= 0)
        {
            throw new ArgumentOutOfRangeException(paramName, id, $"A {what} ID must be positive; got {id}.");
        }
    }
}

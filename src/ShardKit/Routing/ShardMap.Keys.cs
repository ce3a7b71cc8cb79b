using System.Runtime.CompilerServices;

namespace ShardKit.Routing;

/// <summary>Routing by shard key: user ID, merchant ID or order ID.</summary>
public sealed partial class ShardMap
{
    /// <summary>The route of the user shard holding <paramref name="userId"/>'s orders (<see cref="ShardFunctions.UserShard"/>).</summary>
    /// <param name="userId">The user ID (positive).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> is zero or negative.</exception>
    public ShardRoute RouteUser(long userId) => new(_user[ShardFunctions.UserShard(userId, _user.Length)]);

    /// <summary>The route of the merchant shard holding <paramref name="merchantId"/>'s orders (<see cref="ShardFunctions.MerchantShard"/>).</summary>
    /// <param name="merchantId">The merchant ID (positive).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="merchantId"/> is zero or negative.</exception>
    public ShardRoute RouteMerchant(long merchantId) => new(_merchant[ShardFunctions.MerchantShard(merchantId, _merchant.Length)]);

    /// <summary>
    /// The route of the order's copy in <paramref name="dimension"/>, read from the shard genes inside the
    /// order ID: no lookup.
    /// </summary>
    /// <param name="orderId">The order ID.</param>
    /// <param name="dimension">The user copy or the merchant copy.</param>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidOrderId"/>: the ID is <c>default</c>, or its gene names a shard this map does not have.
    /// </exception>
    public ShardRoute RouteOrder(OrderId orderId, ShardDimension dimension)
    {
        var slots = Slots(dimension);
        var gene = dimension == ShardDimension.User ? orderId.UserShard : orderId.MerchantShard;
        if (orderId.Value <= 0 || (uint)gene >= (uint)slots.Length)
        {
            ThrowInvalidOrderId(orderId, dimension, gene, slots.Length);
        }

        return new ShardRoute(slots[gene]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidOrderId(OrderId orderId, ShardDimension dimension, int gene, int shardCount)
    {
        var name = ShardSlot.DimensionName(dimension);
        throw new ShardKitException(
            ShardKitErrorCode.InvalidOrderId,
            orderId.Value <= 0
                ? "The order ID is empty (default(OrderId)); order IDs come from OrderIdGenerator or OrderId.Parse."
                : $"Order ID {orderId.Value} carries {name} shard {gene}, but the map has {shardCount} {name} shards (0-{shardCount - 1}).");
    }
}

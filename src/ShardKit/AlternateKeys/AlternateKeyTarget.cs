namespace ShardKit.AlternateKeys;

/// <summary>What an <see cref="AlternateKey"/> points at: a user, and optionally one of that user's orders.</summary>
public sealed record AlternateKeyTarget
{
    /// <summary>Creates a target.</summary>
    /// <param name="userId">The user (positive).</param>
    /// <param name="orderId">The order, or <see langword="null"/> for a key that names only the user (a phone number).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> is zero or negative, or <paramref name="orderId"/> is <c>default</c>.</exception>
    public AlternateKeyTarget(long userId, OrderId? orderId = null)
    {
        if (userId <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(userId), userId, $"A user ID must be positive; got {userId}.");
        }

        if (orderId is { Value: <= 0 })
        {
            throw new ArgumentOutOfRangeException(nameof(orderId), orderId, "The order ID is empty (default(OrderId)); pass null for a key that names only the user.");
        }

        UserId = userId;
        OrderId = orderId;
    }

    /// <summary>The user the key belongs to.</summary>
    public long UserId { get; }

    /// <summary>The order the key names, if it names one.</summary>
    public OrderId? OrderId { get; }

    /// <summary>Returns <c>user 42</c> or <c>user 42, order 123...</c>.</summary>
    public override string ToString() => OrderId is { } order
        ? FormattableString.Invariant($"user {UserId}, order {order.Value}")
        : FormattableString.Invariant($"user {UserId}");
}

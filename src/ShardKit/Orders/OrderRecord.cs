namespace ShardKit.Orders;

/// <summary>
/// An order with its items, as <see cref="TwoDimensionOrderStore"/> stores it in both dimensions: authoritatively in its
/// user shard and as a copy in its merchant shard.
/// </summary>
/// <remarks>
/// On writes (<see cref="TwoDimensionOrderStore.CreateAsync(OrderRecord, CancellationToken)"/>, <see cref="TwoDimensionOrderStore.UpdateAsync(OrderRecord, CancellationToken)"/>) the store sets
/// <see cref="CreatedAt"/>, <see cref="UpdatedAt"/> and <see cref="Version"/> itself; the values passed in are ignored.
/// Times are stored with microsecond precision in UTC.
/// </remarks>
public sealed class OrderRecord
{
    /// <summary>The order ID; its genes must be those of <see cref="UserId"/> and <see cref="MerchantId"/>.</summary>
    public required OrderId Id { get; init; }

    /// <summary>The ordering user (positive).</summary>
    public required long UserId { get; init; }

    /// <summary>The merchant the order is placed with (positive).</summary>
    public required long MerchantId { get; init; }

    /// <summary>The order status, 1 to 32 characters (for example <c>created</c>, <c>paid</c>).</summary>
    public required string Status { get; init; }

    /// <summary>The total amount (DECIMAL(18,2)).</summary>
    public required decimal TotalAmount { get; init; }

    /// <summary>The ISO 4217 currency code: three characters.</summary>
    public required string Currency { get; init; }

    /// <summary>Extension fields as JSON text, or <see langword="null"/>.</summary>
    public string? Ext { get; init; }

    /// <summary>The order lines; line numbers are unique within the order.</summary>
    public IReadOnlyList<OrderLine> Items { get; init; } = [];

    /// <summary>When the order was created (set by the store).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the order was last written (set by the store).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The version of the order: 1 when created, raised by one on every update (set by the store).</summary>
    public long Version { get; init; }

    /// <summary>This order's fields with other items and stored state (timestamps and version).</summary>
    /// <summary>
    /// On a record a store write returned: the token of that write, to pass to a later read (<see cref="ReadOptions.CausalToken"/>)
    /// so that a replica serves it only once it has the write. Null on records that were read.
    /// </summary>
    public CausalToken? CausalToken { get; init; }

    internal OrderRecord WithStoredState(IReadOnlyList<OrderLine> items, DateTimeOffset createdAt, DateTimeOffset updatedAt, long version, CausalToken? causalToken = null) => new()
    {
        CausalToken = causalToken,
        Id = Id,
        UserId = UserId,
        MerchantId = MerchantId,
        Status = Status,
        TotalAmount = TotalAmount,
        Currency = Currency,
        Ext = Ext,
        Items = items,
        CreatedAt = createdAt,
        UpdatedAt = updatedAt,
        Version = version,
    };

    /// <summary>Returns for example <c>order 123 v2 (user 7, merchant 9, paid)</c>.</summary>
    public override string ToString() => $"order {Id} v{Version} (user {UserId}, merchant {MerchantId}, {Status})";
}

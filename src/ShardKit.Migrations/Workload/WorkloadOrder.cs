namespace ShardKit.Migrations.Workload;

/// <summary>
/// An order the workload creates: the body of the OrderService sample's <c>POST /orders</c> (serialized as
/// <c>{"userId":..,"merchantId":..,"items":[{"sku":..,"quantity":..,"unitPrice":..}]}</c>), or the order the bench
/// writes through ShardKit directly.
/// </summary>
/// <param name="UserId">The buyer (positive).</param>
/// <param name="MerchantId">The merchant (positive).</param>
/// <param name="Items">The order lines (1 to 3 in the workload).</param>
internal sealed record WorkloadOrder(long UserId, long MerchantId, IReadOnlyList<WorkloadOrderLine> Items);

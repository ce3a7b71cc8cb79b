namespace OrderService;

/// <summary>The body of a <c>201 Created</c> answer to <c>POST /orders</c>.</summary>
/// <param name="OrderId">The new order's ID; it carries the user and merchant shard genes, so <c>GET /orders/{orderId}</c> needs no lookup.</param>
public sealed record CreateOrderResponse(long OrderId);

namespace OrderService;

/// <summary>What a trade-number lookup found.</summary>
/// <param name="Order">The order, when the trade number names one that exists.</param>
/// <param name="DanglingOrderId">The order the trade number names when that order is not there (a dangling mapping).</param>
public sealed record TradeNoLookup(Order? Order, long? DanglingOrderId);

namespace OrderService;

/// <summary>The body of <c>GET /merchants/{merchantId}/orders</c>.</summary>
/// <param name="Orders">The page, newest first.</param>
/// <param name="Next">Pass as <c>after</c> to read the next page; <see langword="null"/> on the last page.</param>
public sealed record MerchantOrdersPage(IReadOnlyList<Order> Orders, string? Next);

namespace OrderService;

/// <summary>The values of <c>shop_orders.state</c> (an <c>ENUM</c>).</summary>
public static class OrderStates
{
    /// <summary>A new order.</summary>
    public const string Created = "created";

    /// <summary>Every state, in the order of the column's <c>ENUM</c>.</summary>
    public static readonly IReadOnlyList<string> All = [Created, "paid", "shipped", "delivered", "cancelled"];
}

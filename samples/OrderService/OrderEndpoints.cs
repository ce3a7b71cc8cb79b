using System.Globalization;
using ShardKit;

namespace OrderService;

/// <summary>The HTTP API: create an order, get it by order ID, list a user's orders.</summary>
public static class OrderEndpoints
{
    /// <summary>The page size of <c>GET /users/{userId}/orders</c> when <c>limit</c> is not given.</summary>
    public const int DefaultLimit = 20;

    /// <summary>The largest <c>limit</c> accepted.</summary>
    public const int MaxLimit = 100;

    /// <summary>Maps <c>POST /orders</c>, <c>GET /orders/{orderId}</c> and <c>GET /users/{userId}/orders</c>.</summary>
    public static IEndpointRouteBuilder MapOrderEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/orders", CreateAsync);
        endpoints.MapGet("/orders/{orderId}", GetAsync);
        endpoints.MapGet("/users/{userId}/orders", ListByUserAsync);
        return endpoints;
    }

    private static async Task<IResult> CreateAsync(CreateOrderRequest request, OrderStore store, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The order is not valid.");
        }

        var orderId = await store.CreateAsync(request, cancellationToken);
        return Results.Created($"/orders/{orderId}", new CreateOrderResponse(orderId.Value));
    }

    private static async Task<IResult> GetAsync(long orderId, OrderStore store, CancellationToken cancellationToken)
    {
        OrderId id;
        try
        {
            id = store.ParseOrderId(orderId);
        }
        catch (ShardKitException ex) when (ex.ErrorCode == ShardKitErrorCode.InvalidOrderId)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a ShardKit order ID.", detail: ex.Message);
        }

        return await store.GetAsync(id, cancellationToken) is { } order
            ? Results.Ok(order)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Order not found.", detail: $"There is no order {orderId}.");
    }

    private static async Task<IResult> ListByUserAsync(long userId, int? limit, OrderStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (userId <= 0)
        {
            errors["userId"] = [string.Create(CultureInfo.InvariantCulture, $"userId must be a positive number; got {userId}.")];
        }

        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [string.Create(CultureInfo.InvariantCulture, $"limit must be between 1 and {MaxLimit}; got {limit}.")];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The request is not valid.");
        }

        return Results.Ok(await store.ListByUserAsync(userId, limit ?? DefaultLimit, cancellationToken));
    }
}

using System.Globalization;
using ShardKit;
using ShardKit.Ids;
using ShardKit.Replication;

namespace OrderService;

/// <summary>
/// The HTTP API: create an order, get it by order ID or by trade number, change or delete it, list a user's or a
/// merchant's orders.
/// </summary>
public static class OrderEndpoints
{
    /// <summary>The page size of <c>GET /users/{userId}/orders</c> when <c>limit</c> is not given.</summary>
    public const int DefaultLimit = 20;

    /// <summary>The largest <c>limit</c> accepted.</summary>
    public const int MaxLimit = 100;

    /// <summary>
    /// Maps <c>POST /orders</c>, <c>GET /orders/{orderId}</c>, <c>PATCH /orders/{orderId}</c>, <c>DELETE /orders/{orderId}</c>,
    /// <c>GET /orders/by-trade-no/{tradeNo}</c>, <c>GET /users/{userId}/orders</c> and
    /// <c>GET /merchants/{merchantId}/orders?limit=&amp;after=</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapOrderEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/orders", CreateAsync);
        endpoints.MapGet("/orders/{orderId}", GetAsync);
        endpoints.MapPatch("/orders/{orderId}", UpdateAsync);
        endpoints.MapDelete("/orders/{orderId}", DeleteAsync);
        endpoints.MapGet("/orders/by-trade-no/{tradeNo}", GetByTradeNoAsync);
        endpoints.MapGet("/users/{userId}/orders", ListByUserAsync);
        endpoints.MapGet("/merchants/{merchantId}/orders", ListByMerchantAsync);
        return endpoints;
    }

    /// <summary>
    /// The response header that carries the causal token of a write (<c>POST /orders</c>, <c>PATCH /orders/{orderId}</c>) and the request header a client
    /// sends it back in (<c>GET /orders/{orderId}</c>), so that a replica serves the read only once it has the write.
    /// </summary>
    public const string CausalTokenHeader = "ShardKit-Causal-Token";

    private static async Task<IResult> CreateAsync(CreateOrderRequest request, OrderStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The order is not valid.");
        }

        var (id, token) = await store.CreateAsync(request, cancellationToken);
        if (token is not null)
        {
            response.Headers[CausalTokenHeader] = token.ToString();
        }

        return Results.Created($"/orders/{id}", new CreateOrderResponse(id.Value));
    }

    private static async Task<IResult> UpdateAsync(long orderId, UpdateOrderRequest request, OrderStore store, HttpResponse response, CancellationToken cancellationToken)
    {
        if (!TryParseOrderId(orderId, store, out var id, out var invalid))
        {
            return invalid;
        }

        var errors = request.Validate();
        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The change is not valid.");
        }

        if (await store.UpdateAsync(id, request, cancellationToken) is not { } updated)
        {
            return NotFound(orderId);
        }

        if (updated.CausalToken is { } token)
        {
            response.Headers[CausalTokenHeader] = token.ToString();
        }

        return Results.Ok(updated.Order);
    }

    private static async Task<IResult> DeleteAsync(long orderId, OrderStore store, CancellationToken cancellationToken)
    {
        if (!TryParseOrderId(orderId, store, out var id, out var invalid))
        {
            return invalid;
        }

        return await store.DeleteAsync(id, cancellationToken) ? Results.NoContent() : NotFound(orderId);
    }

    private static bool TryParseOrderId(long orderId, OrderStore store, out OrderId id, out IResult invalid)
    {
        try
        {
            id = store.ParseOrderId(orderId);
            invalid = Results.Empty;
            return true;
        }
        catch (ShardKitException ex) when (ex.ErrorCode == ShardKitErrorCode.InvalidOrderId)
        {
            id = default;
            invalid = Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Not a ShardKit order ID.", detail: ex.Message);
            return false;
        }
    }

    private static IResult NotFound(long orderId) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Order not found.", detail: string.Create(CultureInfo.InvariantCulture, $"There is no order {orderId}."));

    private static async Task<IResult> GetAsync(long orderId, OrderStore store, HttpRequest request, CancellationToken cancellationToken)
    {
        CausalToken? token = null;
        if (request.Headers[CausalTokenHeader] is { Count: > 0 } header)
        {
            try
            {
                token = CausalToken.Parse(header.ToString());
            }
            catch (FormatException ex)
            {
                return Results.ValidationProblem(new Dictionary<string, string[]> { [CausalTokenHeader] = [ex.Message] }, title: "The request is not valid.");
            }
        }

        if (!TryParseOrderId(orderId, store, out var id, out var invalid))
        {
            return invalid;
        }

        return await store.GetAsync(id, token, cancellationToken) is { } order ? Results.Ok(order) : NotFound(orderId);
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

    private static async Task<IResult> GetByTradeNoAsync(string tradeNo, OrderStore store, CancellationToken cancellationToken)
    {
        if (!CreateOrderRequest.IsTradeNo(tradeNo))
        {
            return Results.ValidationProblem(
                new Dictionary<string, string[]> { ["tradeNo"] = [$"tradeNo must be 1 to {CreateOrderRequest.MaxTradeNoLength} ASCII letters, digits, '-' or '_'; got '{tradeNo}'."] },
                title: "The request is not valid.");
        }

        var found = await store.FindByTradeNoAsync(tradeNo, cancellationToken);
        if (found.Order is { } order)
        {
            return Results.Ok(order);
        }

        return Results.Problem(
            statusCode: StatusCodes.Status404NotFound,
            title: "Order not found.",
            detail: found.DanglingOrderId is { } dangling
                ? string.Create(CultureInfo.InvariantCulture, $"Trade number {tradeNo} names order {dangling}, which does not exist (a dangling mapping; the sweeper removes it).")
                : $"No order has trade number {tradeNo}.");
    }

    private static async Task<IResult> ListByMerchantAsync(long merchantId, int? limit, string? after, OrderStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (merchantId <= 0)
        {
            errors["merchantId"] = [string.Create(CultureInfo.InvariantCulture, $"merchantId must be a positive number; got {merchantId}.")];
        }

        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [string.Create(CultureInfo.InvariantCulture, $"limit must be between 1 and {MaxLimit}; got {limit}.")];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The request is not valid.");
        }

        try
        {
            return Results.Ok(await store.ListByMerchantAsync(merchantId, limit ?? DefaultLimit, after, cancellationToken));
        }
        catch (ArgumentException ex) when (ex.ParamName == "after")
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["after"] = [$"after: '{after}' is not a page cursor of this service; pass the 'next' of the previous page."] }, title: "The request is not valid.");
        }
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace ShardKit.Migrations.Workload;

/// <summary>Drives the OrderService sample over HTTP, as its clients would (its JSON contract, not its types: the tool does not load the sample).</summary>
internal sealed class HttpOrderTarget(HttpClient client, int shardCount) : IOrderWorkloadTarget
{
    /// <summary>The sample's header for the causal token of a write (response) and of a read (request).</summary>
    private const string CausalTokenHeader = "ShardKit-Causal-Token";

    public string Description => $"OrderService sample over HTTP at {client.BaseAddress}";

    public async Task<(OrderId Id, CausalToken? Token)> CreateAsync(WorkloadOrder order, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/orders", order, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.Created, "POST /orders", cancellationToken);
        var created = await response.Content.ReadFromJsonAsync<CreatedBody>(cancellationToken)
            ?? throw new InvalidOperationException("POST /orders answered 201 without a body.");
        var token = response.Headers.TryGetValues(CausalTokenHeader, out var values) ? CausalToken.Parse(values.First()) : null;
        return (OrderId.Parse(created.OrderId, shardCount), token);
    }

    public async Task<bool> GetAsync(OrderId orderId, CausalToken? token, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"/orders/{orderId.Value}");
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Add(CausalTokenHeader, token.ToString());
        }

        using var response = await client.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureAsync(response, HttpStatusCode.OK, "GET " + path, cancellationToken);
        var order = await response.Content.ReadFromJsonAsync<OrderBody>(cancellationToken);
        return order?.OrderId == orderId.Value
            ? true
            : throw new InvalidOperationException($"GET {path} answered with another order ({order?.OrderId}).");
    }

    public async Task<int> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"/users/{userId}/orders?limit={limit}");
        using var response = await client.GetAsync(path, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.OK, "GET " + path, cancellationToken);
        var orders = await response.Content.ReadFromJsonAsync<List<OrderBody>>(cancellationToken);
        return orders?.Count ?? 0;
    }

    public async Task<int> ListByMerchantAsync(long merchantId, int limit, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"/merchants/{merchantId}/orders?limit={limit}");
        using var response = await client.GetAsync(path, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.OK, "GET " + path, cancellationToken);
        var page = await response.Content.ReadFromJsonAsync<PageBody>(cancellationToken);
        return page?.Orders.Count ?? 0;
    }

    private static async Task EnsureAsync(HttpResponseMessage response, HttpStatusCode expected, string request, CancellationToken cancellationToken)
    {
        if (response.StatusCode == expected)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (body.Length > 300)
        {
            body = body[..300] + "...";
        }

        throw new HttpRequestException($"{request} answered {(int)response.StatusCode} {response.ReasonPhrase}: {body}", null, response.StatusCode);
    }

    /// <summary>The body of <c>201 Created</c>: <c>{"orderId": ...}</c>.</summary>
    private sealed record CreatedBody(long OrderId);

    /// <summary>An order as the sample returns it (only its ID is checked).</summary>
    private sealed record OrderBody(long OrderId);

    /// <summary>A page of a merchant's orders: <c>{"orders": [...], "next": ...}</c>.</summary>
    private sealed record PageBody(IReadOnlyList<OrderBody> Orders);
}

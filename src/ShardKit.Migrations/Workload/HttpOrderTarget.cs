using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using OrderService;

namespace ShardKit.Migrations.Workload;

/// <summary>Drives the OrderService sample over HTTP, as its clients would.</summary>
internal sealed class HttpOrderTarget(HttpClient client, int shardCount) : IOrderWorkloadTarget
{
    public string Description => $"OrderService sample over HTTP at {client.BaseAddress}";

    public async Task<(OrderId Id, CausalToken? Token)> CreateAsync(CreateOrderRequest order, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/orders", order, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.Created, "POST /orders", cancellationToken);
        var created = await response.Content.ReadFromJsonAsync<CreateOrderResponse>(cancellationToken)
            ?? throw new InvalidOperationException("POST /orders answered 201 without a body.");
        var token = response.Headers.TryGetValues(OrderEndpoints.CausalTokenHeader, out var values) ? CausalToken.Parse(values.First()) : null;
        return (OrderId.Parse(created.OrderId, shardCount), token);
    }

    public async Task<bool> GetAsync(OrderId orderId, CausalToken? token, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"/orders/{orderId.Value}");
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Add(OrderEndpoints.CausalTokenHeader, token.ToString());
        }

        using var response = await client.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureAsync(response, HttpStatusCode.OK, "GET " + path, cancellationToken);
        var order = await response.Content.ReadFromJsonAsync<Order>(cancellationToken);
        return order?.OrderId == orderId.Value
            ? true
            : throw new InvalidOperationException($"GET {path} answered with another order ({order?.OrderId}).");
    }

    public async Task<int> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"/users/{userId}/orders?limit={limit}");
        using var response = await client.GetAsync(path, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.OK, "GET " + path, cancellationToken);
        var orders = await response.Content.ReadFromJsonAsync<List<Order>>(cancellationToken);
        return orders?.Count ?? 0;
    }

    public async Task<int> ListByMerchantAsync(long merchantId, int limit, CancellationToken cancellationToken)
    {
        var path = string.Create(CultureInfo.InvariantCulture, $"/merchants/{merchantId}/orders?limit={limit}");
        using var response = await client.GetAsync(path, cancellationToken);
        await EnsureAsync(response, HttpStatusCode.OK, "GET " + path, cancellationToken);
        var page = await response.Content.ReadFromJsonAsync<MerchantOrdersPage>(cancellationToken);
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
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using OrderService;

namespace ShardKit.IntegrationTests.Samples;

/// <summary>The OrderService sample's endpoints over HTTP, against real MariaDB shards.</summary>
[Collection("Topology")]
public sealed class OrderServiceTests(TopologyFixture fixture) : IAsyncLifetime
{
    private OrderServiceHost? _host;

    private OrderServiceHost Host => _host ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _host = await OrderServiceHost.StartAsync(fixture);

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    [Fact]
    public async Task CreatesAnOrderThenReadsItBackByOrderIdAndInTheUsersList()
    {
        var userId = NewUserId();
        var address = new ShippingAddress("Ada Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "GB");
        var created = await CreateAsync(new CreateOrderRequest(userId, 4242, [new("SKU-1", 2, 3.50m), new("SKU-2", 1, 10m)], "EUR", ShippingAddress: address, Note: "Leave it at the door."));

        var order = await Host.Client.GetFromJsonAsync<Order>($"/orders/{created}");
        Assert.NotNull(order);
        Assert.Equal(created, order.OrderId);
        Assert.Equal(userId, order.UserId);
        Assert.Equal(4242, order.MerchantId);
        Assert.Equal("created", order.State);
        Assert.Equal("EUR", order.Currency);
        Assert.Equal(17.00m, order.Total);
        Assert.Null(order.TradeNo);
        Assert.Equal(address, order.ShippingAddress);
        Assert.Equal(1, order.Revision);
        Assert.Equal(new[] { new OrderItem(1, "SKU-1", 2, 3.50m), new OrderItem(2, "SKU-2", 1, 10m) }, order.Items);
        var note = Assert.Single(order.Notes!);
        Assert.Equal((1, "Leave it at the door."), (note.NoteNo, note.Body));
        Assert.InRange(order.CreatedAt, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(order.CreatedAt, order.UpdatedAt);
        Assert.Equal(order.CreatedAt, note.WrittenAt);

        var listed = await Host.Client.GetFromJsonAsync<List<Order>>($"/users/{userId}/orders");
        var only = Assert.Single(listed!);
        Assert.Equal(created, only.OrderId);
        Assert.Equal(order.Items, only.Items);
        Assert.Equal(order.Notes, only.Notes);
        Assert.Equal(address, only.ShippingAddress);
    }

    [Fact]
    public async Task CreateAnswers201WithTheLocationOfTheNewOrder()
    {
        using var response = await Host.Client.PostAsJsonAsync("/orders", new CreateOrderRequest(NewUserId(), 7, [new("SKU-9", 1, 1m)]));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<CreateOrderResponse>();
        Assert.Equal($"/orders/{body!.OrderId}", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task StoresTheOrderAndItsLinesInTheSamplesTablesOnThePrimaryOfTheUserShardTheIdNames()
    {
        var userId = NewUserId();
        const long merchantId = 987_654;
        var created = await CreateAsync(new CreateOrderRequest(userId, merchantId, [new("A", 1, 1m), new("B", 2, 2m), new("C", 3, 3m)]));

        var id = OrderId.Parse(created);
        Assert.Equal(ShardFunctions.UserShard(userId, 120), id.UserShard);
        Assert.Equal(ShardFunctions.MerchantShard(merchantId, 120), id.MerchantShard);
        Assert.Equal(Host.WorkerId, id.WorkerId);

        // Straight on the server the map names for that shard, through the mariadb client (no ShardKit in between).
        var route = Host.Shards.Map.GetRoute(ShardDimension.User, id.UserShard);
        Assert.Equal($"sk_user_{id.UserShard:000}", route.Schema);
        var primary = fixture.Topology.Clusters.Single(c => c.Name == route.Cluster.Name).Primary;
        Assert.Equal(primary.Port, route.Endpoint.Port);
        var row = await primary.ExecuteAsync($"SELECT buyer_id, shop_id, total, state, revision FROM `{route.Schema}`.shop_orders WHERE id = {created}");
        Assert.Equal($"{userId}\t{merchantId}\t14.00\tcreated\t1", row.Trim());
        Assert.Equal("3", await primary.QueryScalarAsync($"SELECT COUNT(*) FROM `{route.Schema}`.shop_order_lines WHERE order_id = {created}"));

        // The other cluster does not hold this user shard at all.
        var other = fixture.Topology.Clusters.Single(c => c.Name != route.Cluster.Name).Primary;
        Assert.Equal("0", await other.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '{route.Schema}'"));
    }

    [Fact]
    public async Task ListsAUsersOrdersNewestFirstUpToTheLimit()
    {
        var userId = NewUserId();
        var first = await CreateAsync(new CreateOrderRequest(userId, 1, [new("X", 1, 1m)]));
        var second = await CreateAsync(new CreateOrderRequest(userId, 2, [new("X", 1, 1m)]));
        var third = await CreateAsync(new CreateOrderRequest(userId, 3, [new("X", 1, 1m)]));

        var all = await Host.Client.GetFromJsonAsync<List<Order>>($"/users/{userId}/orders");
        var two = await Host.Client.GetFromJsonAsync<List<Order>>($"/users/{userId}/orders?limit=2");

        Assert.Equal(new[] { third, second, first }, all!.Select(o => o.OrderId));
        Assert.Equal(new[] { third, second }, two!.Select(o => o.OrderId));
    }

    [Fact]
    public async Task ListsNothingForAUserWithoutOrders()
    {
        var listed = await Host.Client.GetFromJsonAsync<List<Order>>($"/users/{NewUserId()}/orders");

        Assert.Empty(listed!);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-7")]
    [InlineData("12345")]
    [InlineData("9223372036854775807")]
    public async Task RejectsANumberThatIsNotAShardKitOrderIdWith400(string orderId)
    {
        using var response = await Host.Client.GetAsync($"/orders/{orderId}");

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains($"{orderId} is not a ShardKit order ID", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999999999999")]
    public async Task RejectsAnOrderIdThatIsNotANumberWith400NamingTheParameter(string orderId)
    {
        using var response = await Host.Client.GetAsync($"/orders/{orderId}");

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var detail = problem.GetProperty("detail").GetString();
        Assert.Contains("orderId", detail, StringComparison.Ordinal);
        Assert.Contains(orderId, detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnswersNotFoundForAShardKitOrderIdWithNoOrder()
    {
        var neverStored = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 250 }).Next(NewUserId(), 5);

        using var response = await Host.Client.GetAsync($"/orders/{neverStored.Value}");

        var problem = await ProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains(neverStored.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"userId":0,"merchantId":1,"items":[{"sku":"a","quantity":1,"unitPrice":1}]}""", "userId")]
    [InlineData("""{"userId":{user},"merchantId":-3,"items":[{"sku":"a","quantity":1,"unitPrice":1}]}""", "merchantId")]
    [InlineData("""{"userId":{user},"merchantId":1}""", "items")]
    [InlineData("""{"userId":{user},"merchantId":1,"items":[]}""", "items")]
    [InlineData("""{"userId":{user},"merchantId":1,"items":[{"sku":"","quantity":1,"unitPrice":1}]}""", "items[0].sku")]
    [InlineData("""{"userId":{user},"merchantId":1,"items":[{"sku":"a","quantity":1,"unitPrice":1},{"sku":"b","quantity":0,"unitPrice":1}]}""", "items[1].quantity")]
    [InlineData("""{"userId":{user},"merchantId":1,"items":[{"sku":"a","quantity":1,"unitPrice":1.234}]}""", "items[0].unitPrice")]
    [InlineData("""{"userId":{user},"merchantId":1,"currency":"euro","items":[{"sku":"a","quantity":1,"unitPrice":1}]}""", "currency")]
    [InlineData("""{"userId":{user},"merchantId":1,"note":" ","items":[{"sku":"a","quantity":1,"unitPrice":1}]}""", "note")]
    [InlineData("""{"userId":{user},"merchantId":1,"shippingAddress":{"name":"A","line1":"B","city":"C","postalCode":"D","country":"Germany"},"items":[{"sku":"a","quantity":1,"unitPrice":1}]}""", "shippingAddress.country")]
    public async Task RejectsAnInvalidOrderWith400NamingTheFieldAndWritesNothing(string body, string field)
    {
        var userId = NewUserId();
        using var content = new StringContent(body.Replace("{user}", userId.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), Encoding.UTF8, "application/json");

        using var response = await Host.Client.PostAsync("/orders", content);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for '{field}' in {errors}");
        Assert.Contains(field, messages[0].GetString(), StringComparison.Ordinal);
        Assert.Empty((await Host.Client.GetFromJsonAsync<List<Order>>($"/users/{userId}/orders"))!);
    }

    [Theory]
    [InlineData("""{"userId":"x","merchantId":1,"items":[]}""", "userId")]
    [InlineData("""{"userId":1,"merchantId":1,"items":[{"sku":"a","quantity":"many","unitPrice":1}]}""", "quantity")]
    [InlineData("""{"userId":1,""", "request")]
    public async Task RejectsAnUnreadableBodyWith400SayingWhere(string body, string where)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await Host.Client.PostAsync("/orders", content);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(where, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/users/{user}/orders?limit=0", "limit")]
    [InlineData("/users/{user}/orders?limit=101", "limit")]
    [InlineData("/users/0/orders", "userId")]
    [InlineData("/users/-4/orders?limit=5", "userId")]
    public async Task RejectsAnOutOfRangeListRequestWith400NamingTheParameter(string path, string parameter)
    {
        using var response = await Host.Client.GetAsync(path.Replace("{user}", NewUserId().ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
    }

    [Fact]
    public async Task RejectsANonNumericLimitWith400NamingIt()
    {
        using var response = await Host.Client.GetAsync($"/users/{NewUserId()}/orders?limit=ten");

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("limit", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListsAMerchantsOrdersFromTheMerchantCopyPageByPage()
    {
        var merchantId = NewUserId();
        var created = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await CreateAsync(new CreateOrderRequest(NewUserId(), merchantId, [new("M", i + 1, 2m)])));
        }

        var first = await Host.Client.GetFromJsonAsync<MerchantOrdersPage>($"/merchants/{merchantId}/orders?limit=2");
        var second = await Host.Client.GetFromJsonAsync<MerchantOrdersPage>($"/merchants/{merchantId}/orders?limit=2&after={first!.Next}");
        var third = await Host.Client.GetFromJsonAsync<MerchantOrdersPage>($"/merchants/{merchantId}/orders?limit=2&after={second!.Next}");

        created.Reverse();
        Assert.Equal(created, first.Orders.Concat(second.Orders).Concat(third!.Orders).Select(o => o.OrderId));
        Assert.Null(third.Next);
        Assert.All(first.Orders, o => Assert.Equal(merchantId, o.MerchantId));
        Assert.Equal(new[] { new OrderItem(1, "M", 5, 2m) }, first.Orders[0].Items);
        Assert.Equal(10m, first.Orders[0].Total);

        // The merchant copy keeps no notes.
        Assert.All(first.Orders.Concat(second.Orders).Concat(third.Orders), o => Assert.Null(o.Notes));

        // Served from the merchant shard: the row and its lines are there, in the merchant dimension.
        var id = OrderId.Parse(created[0]);
        var route = Host.Shards.Map.GetRoute(ShardDimension.Merchant, id.MerchantShard);
        var primary = fixture.Topology.Clusters.Single(c => c.Name == route.Cluster.Name).Primary;
        Assert.Equal("1", await primary.QueryScalarAsync($"SELECT COUNT(*) FROM `{route.Schema}`.shop_orders WHERE id = {created[0]}"));
        Assert.Equal("1", await primary.QueryScalarAsync($"SELECT COUNT(*) FROM `{route.Schema}`.shop_order_lines WHERE order_id = {created[0]}"));
    }

    [Theory]
    [InlineData("/merchants/0/orders", "merchantId")]
    [InlineData("/merchants/5/orders?limit=0", "limit")]
    [InlineData("/merchants/5/orders?after=yesterday", "after")]
    [InlineData("/merchants/5/orders?after=12-34", "after")]
    public async Task RejectsABadMerchantListRequestWith400NamingTheParameter(string path, string parameter)
    {
        using var response = await Host.Client.GetAsync(path);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(parameter, out _), problem.ToString());
    }

    [Fact]
    public async Task FindsAnOrderByItsTradeNumberAndRefusesTheNumberForAnotherOrder()
    {
        var tradeNo = "T-" + Guid.NewGuid().ToString("N");
        var userId = NewUserId();
        var created = await CreateAsync(new CreateOrderRequest(userId, 77, [new("SKU-1", 1, 5m)], TradeNo: tradeNo));

        var found = await Host.Client.GetFromJsonAsync<Order>($"/orders/by-trade-no/{tradeNo}");
        using var again = await Host.Client.PostAsJsonAsync("/orders", new CreateOrderRequest(NewUserId(), 78, [new("SKU-2", 1, 5m)], TradeNo: tradeNo));

        Assert.Equal(created, found!.OrderId);
        Assert.Equal(userId, found.UserId);
        var problem = await ProblemAsync(again, HttpStatusCode.Conflict);
        Assert.Contains(tradeNo, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // The 409 never says whose order holds the number.
        Assert.DoesNotContain(created.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(userId.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetRawText(), StringComparison.Ordinal);
        Assert.Single((await Host.Client.GetFromJsonAsync<List<Order>>($"/users/{userId}/orders"))!);
    }

    [Fact]
    public async Task ATradeNumberWithoutAnOrderIsNotFoundAndABadOneIsRejected()
    {
        using var unknown = await Host.Client.GetAsync($"/orders/by-trade-no/T-{Guid.NewGuid():N}");
        using var bad = await Host.Client.GetAsync("/orders/by-trade-no/has%20space");
        using var badCreate = await Host.Client.PostAsJsonAsync("/orders", new CreateOrderRequest(NewUserId(), 1, [new("A", 1, 1m)], TradeNo: "no/slashes"));

        Assert.Contains("No order has trade number", (await ProblemAsync(unknown, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True((await ProblemAsync(bad, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("tradeNo", out _));
        Assert.True((await ProblemAsync(badCreate, HttpStatusCode.BadRequest)).GetProperty("errors").TryGetProperty("tradeNo", out _));
    }

    [Fact]
    public async Task ATradeNumberWhoseOrderIsGoneIsReportedAsDangling()
    {
        var tradeNo = "T-" + Guid.NewGuid().ToString("N");
        var userId = NewUserId();
        var neverStored = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 251 }).Next(userId, 5);
        using (var keys = new AlternateKeyStore(Host.Shards))
        {
            await keys.ClaimAsync(new AlternateKey(OrderStore.TradeNoKind, tradeNo), new AlternateKeyTarget(userId, neverStored));
        }

        using var response = await Host.Client.GetAsync($"/orders/by-trade-no/{tradeNo}");

        var detail = (await ProblemAsync(response, HttpStatusCode.NotFound)).GetProperty("detail").GetString();
        Assert.Contains($"names order {neverStored.Value}, which does not exist", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepsTheBuyersNoteOnTheUserShardOnlyNeverInTheMerchantCopy()
    {
        var created = await CreateAsync(new CreateOrderRequest(NewUserId(), 31, [new("N", 1, 1m)], Note: "Ring twice."));
        var id = OrderId.Parse(created);

        var userRoute = Host.Shards.Map.GetRoute(ShardDimension.User, id.UserShard);
        var userPrimary = fixture.Topology.Clusters.Single(c => c.Name == userRoute.Cluster.Name).Primary;
        Assert.Equal("Ring twice.", (await userPrimary.QueryScalarAsync($"SELECT body FROM `{userRoute.Schema}`.shop_order_notes WHERE order_id = {created}"))?.Trim());

        // The merchant shards have no notes table at all (MerchantCopy: None), but the order and its lines are copied.
        var merchantRoute = Host.Shards.Map.GetRoute(ShardDimension.Merchant, id.MerchantShard);
        var merchantPrimary = fixture.Topology.Clusters.Single(c => c.Name == merchantRoute.Cluster.Name).Primary;
        Assert.Equal("0", await merchantPrimary.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{merchantRoute.Schema}' AND table_name = 'shop_order_notes'"));
        Assert.Equal("1", await merchantPrimary.QueryScalarAsync($"SELECT COUNT(*) FROM `{merchantRoute.Schema}`.shop_order_lines WHERE order_id = {created}"));
    }

    [Fact]
    public async Task UpdatesTheStateAndAddressRaisingTheRevisionAndTheMerchantCopyFollows()
    {
        var userId = NewUserId();
        var created = await CreateAsync(new CreateOrderRequest(userId, 55, [new("U", 2, 4m)], Note: "first"));
        var before = await Host.Client.GetFromJsonAsync<Order>($"/orders/{created}");
        var address = new ShippingAddress("Grace Hopper", "1 Navy Way", "Arlington", "22202", "US");

        using var response = await Host.Client.PatchAsJsonAsync($"/orders/{created}", new UpdateOrderRequest("paid", address));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.Contains(OrderEndpoints.CausalTokenHeader), "no causal token on the update");
        var updated = (await response.Content.ReadFromJsonAsync<Order>())!;
        Assert.Equal(("paid", 2L, address), (updated.State, updated.Revision, updated.ShippingAddress));
        Assert.True(updated.UpdatedAt >= before!.UpdatedAt);
        Assert.Equal(before.Items, updated.Items);
        Assert.Equal(before.Notes, updated.Notes);
        Assert.Equal(before.CreatedAt, updated.CreatedAt);
        Assert.Equal(8m, updated.Total);

        var read = await Host.Client.GetFromJsonAsync<Order>($"/orders/{created}");
        Assert.Equal(("paid", 2L, address), (read!.State, read.Revision, read.ShippingAddress));

        // Only the state this time: the address stays.
        using var shipped = await Host.Client.PatchAsJsonAsync($"/orders/{created}", new UpdateOrderRequest("shipped"));
        Assert.Equal(("shipped", 3L, address), await StateAsync(shipped));

        // The merchant copy (the merchant's listing, and the row on the merchant shard) has the new state and revision.
        var page = await Host.Client.GetFromJsonAsync<MerchantOrdersPage>($"/merchants/55/orders?limit=100");
        Assert.Contains(page!.Orders, o => o.OrderId == created && o.State == "shipped" && o.Revision == 3 && o.ShippingAddress == address);
        var id = OrderId.Parse(created);
        var route = Host.Shards.Map.GetRoute(ShardDimension.Merchant, id.MerchantShard);
        var primary = fixture.Topology.Clusters.Single(c => c.Name == route.Cluster.Name).Primary;
        Assert.Equal("shipped\t3", (await primary.ExecuteAsync($"SELECT state, revision FROM `{route.Schema}`.shop_orders WHERE id = {created}")).Trim());
    }

    [Theory]
    [InlineData("""{}""", "state")]
    [InlineData("""{"state":"lost"}""", "state")]
    [InlineData("""{"shippingAddress":{"name":"","line1":"B","city":"C","postalCode":"D","country":"DE"}}""", "shippingAddress.name")]
    public async Task RejectsAnInvalidChangeWith400NamingTheFieldAndChangesNothing(string body, string field)
    {
        var created = await CreateAsync(new CreateOrderRequest(NewUserId(), 56, [new("V", 1, 1m)]));
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await Host.Client.PatchAsync($"/orders/{created}", content);

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), problem.ToString());
        Assert.Contains(field, messages[0].GetString(), StringComparison.Ordinal);
        var order = await Host.Client.GetFromJsonAsync<Order>($"/orders/{created}");
        Assert.Equal(("created", 1L), (order!.State, order.Revision));
    }

    [Fact]
    public async Task DeletesAnOrderFromBothDimensionsAndReleasesItsTradeNumber()
    {
        var tradeNo = "D-" + Guid.NewGuid().ToString("N");
        var userId = NewUserId();
        const long merchantId = 57;
        var created = await CreateAsync(new CreateOrderRequest(userId, merchantId, [new("D", 1, 1m)], TradeNo: tradeNo, Note: "gone soon"));

        using var deleted = await Host.Client.DeleteAsync($"/orders/{created}");
        using var again = await Host.Client.DeleteAsync($"/orders/{created}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAsync(again, HttpStatusCode.NotFound);
        using (var read = await Host.Client.GetAsync($"/orders/{created}"))
        {
            await ProblemAsync(read, HttpStatusCode.NotFound);
        }

        Assert.Empty((await Host.Client.GetFromJsonAsync<List<Order>>($"/users/{userId}/orders"))!);
        var page = await Host.Client.GetFromJsonAsync<MerchantOrdersPage>($"/merchants/{merchantId}/orders?limit=100");
        Assert.DoesNotContain(page!.Orders, o => o.OrderId == created);

        // Nothing of it is left in the sample's tables of either dimension.
        var id = OrderId.Parse(created);
        var userRoute = Host.Shards.Map.GetRoute(ShardDimension.User, id.UserShard);
        var userPrimary = fixture.Topology.Clusters.Single(c => c.Name == userRoute.Cluster.Name).Primary;
        Assert.Equal("0", await userPrimary.QueryScalarAsync(
            $"SELECT (SELECT COUNT(*) FROM `{userRoute.Schema}`.shop_orders WHERE id = {created}) + (SELECT COUNT(*) FROM `{userRoute.Schema}`.shop_order_lines WHERE order_id = {created}) + (SELECT COUNT(*) FROM `{userRoute.Schema}`.shop_order_notes WHERE order_id = {created})"));
        var merchantRoute = Host.Shards.Map.GetRoute(ShardDimension.Merchant, id.MerchantShard);
        var merchantPrimary = fixture.Topology.Clusters.Single(c => c.Name == merchantRoute.Cluster.Name).Primary;
        Assert.Equal("0", await merchantPrimary.QueryScalarAsync(
            $"SELECT (SELECT COUNT(*) FROM `{merchantRoute.Schema}`.shop_orders WHERE id = {created}) + (SELECT COUNT(*) FROM `{merchantRoute.Schema}`.shop_order_lines WHERE order_id = {created})"));

        // The trade number is free again: a new order takes it and is found by it.
        var reused = await CreateAsync(new CreateOrderRequest(NewUserId(), merchantId, [new("E", 1, 1m)], TradeNo: tradeNo));
        Assert.Equal(reused, (await Host.Client.GetFromJsonAsync<Order>($"/orders/by-trade-no/{tradeNo}"))!.OrderId);
    }

    [Theory]
    [InlineData("PATCH")]
    [InlineData("DELETE")]
    public async Task AnswersNotFoundWhenChangingOrDeletingAnOrderThatDoesNotExistAnd400ForANonOrderId(string method)
    {
        var neverStored = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 252 }).Next(NewUserId(), 5);

        using var missing = await SendAsync(method, $"/orders/{neverStored.Value}");
        using var invalid = await SendAsync(method, "/orders/12345");

        Assert.Contains(neverStored.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), (await ProblemAsync(missing, HttpStatusCode.NotFound)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("12345 is not a ShardKit order ID", (await ProblemAsync(invalid, HttpStatusCode.BadRequest)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private Task<HttpResponseMessage> SendAsync(string method, string path) => method == "PATCH"
        ? Host.Client.PatchAsJsonAsync(path, new UpdateOrderRequest("paid"))
        : Host.Client.DeleteAsync(path);

    private static async Task<(string State, long Revision, ShippingAddress? Address)> StateAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var order = (await response.Content.ReadFromJsonAsync<Order>())!;
        return (order.State, order.Revision, order.ShippingAddress);
    }

    private static long NewUserId() => Random.Shared.NextInt64(1_000_000_000, 9_000_000_000);

    private async Task<long> CreateAsync(CreateOrderRequest request)
    {
        using var response = await Host.Client.PostAsJsonAsync("/orders", request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<CreateOrderResponse>())!.OrderId;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var problem = document.RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}

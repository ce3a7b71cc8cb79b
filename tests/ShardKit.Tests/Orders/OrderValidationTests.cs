using ShardKit.Orders;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Orders;

public sealed class OrderValidationTests
{
    private static readonly ShardMap s_map = ShardMap.Create(TestTopologies.DevUp());
    private static readonly OrderIdGenerator s_ids = new(new OrderIdGeneratorOptions { WorkerId = 1 });

    private static OrderRecord Valid(long userId = 42, long merchantId = 7, string status = "created", string currency = "EUR", IReadOnlyList<OrderLine>? items = null) => new()
    {
        Id = s_ids.Next(42, 7),
        UserId = userId,
        MerchantId = merchantId,
        Status = status,
        TotalAmount = 1m,
        Currency = currency,
        Items = items ?? [new OrderLine { LineNo = 1, Sku = "A", Quantity = 1, UnitPrice = 1m }],
    };

    [Fact]
    public void AcceptsAnOrderWhoseIdCarriesItsUsersAndMerchantsShards() => OrderValidation.Validate(Valid(), s_map);

    [Fact]
    public void RefusesAnIdGeneratedForAnotherUser()
    {
        var otherUser = Enumerable.Range(43, 1000).First(u => ShardFunctions.UserShard(u, 120) != ShardFunctions.UserShard(42, 120));

        var error = Assert.Throws<ArgumentException>(() => OrderValidation.Validate(Valid(userId: otherUser), s_map));

        Assert.Contains("OrderIdGenerator.Next(userId, merchantId)", error.Message, StringComparison.Ordinal);
        Assert.Equal("order", error.ParamName);
    }

    [Theory]
    [InlineData("", "EUR", "Status must be 1 to 32 characters")]
    [InlineData("created", "EURO", "Currency must be a 3-letter ISO 4217 code")]
    public void RefusesBadFieldsNamingThem(string status, string currency, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => OrderValidation.Validate(Valid(status: status, currency: currency), s_map));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesADuplicateLineNumber()
    {
        var item = new OrderLine { LineNo = 3, Sku = "A", Quantity = 1, UnitPrice = 1m };

        var error = Assert.Throws<ArgumentException>(() => OrderValidation.Validate(Valid(items: [item, item]), s_map));

        Assert.Contains("line number 3 twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStoreRefusesAnInvalidOrderBeforeOpeningAnyShard()
    {
        var server = new FakeServer();
        await using var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(new FakeProviderFactory(server)).Build();
        using var store = new TwoDimensionOrderStore(shards);

        await Assert.ThrowsAsync<ArgumentException>(() => store.CreateAsync(Valid(status: "")));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.ListMerchantOrdersAsync(7, pageSize: 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.ListMerchantOrdersAsync(7, pageSize: TwoDimensionOrderStore.MaxPageSize + 1));

        Assert.Equal(0, server.Opened);
    }
}

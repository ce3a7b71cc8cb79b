using OrderService;

namespace ShardKit.Migrations.Workload;

/// <summary>Drives the sample's <see cref="OrderStore"/> in process: ShardKitDataSource and the driver, no HTTP.</summary>
internal sealed class StoreOrderTarget(OrderStore store, string description) : IOrderWorkloadTarget
{
    public string Description => description;

    public async Task<(OrderId Id, CausalToken? Token)> CreateAsync(CreateOrderRequest order, CancellationToken cancellationToken)
    {
        var created = await store.CreateAsync(order, cancellationToken);
        return (created.Id, created.CausalToken);
    }

    public async Task<bool> GetAsync(OrderId orderId, CausalToken? token, CancellationToken cancellationToken) =>
        await store.GetAsync(orderId, token, cancellationToken) is not null;

    public async Task<int> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken) =>
        (await store.ListByUserAsync(userId, limit, cancellationToken)).Count;

    public async Task<int> ListByMerchantAsync(long merchantId, int limit, CancellationToken cancellationToken) =>
        (await store.ListByMerchantAsync(merchantId, limit, after: null, cancellationToken)).Orders.Count;
}

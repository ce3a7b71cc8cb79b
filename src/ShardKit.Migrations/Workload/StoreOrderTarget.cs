using OrderService;

namespace ShardKit.Migrations.Workload;

/// <summary>Drives the sample's <see cref="OrderStore"/> in process: ShardKitDataSource and the driver, no HTTP.</summary>
internal sealed class StoreOrderTarget(OrderStore store, string description) : IOrderWorkloadTarget
{
    public string Description => description;

    public Task<OrderId> CreateAsync(CreateOrderRequest order, CancellationToken cancellationToken) => store.CreateAsync(order, cancellationToken);

    public async Task<bool> GetAsync(OrderId orderId, CancellationToken cancellationToken) =>
        await store.GetAsync(orderId, cancellationToken) is not null;

    public async Task<int> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken) =>
        (await store.ListByUserAsync(userId, limit, cancellationToken)).Count;

    public async Task<int> ListByMerchantAsync(long merchantId, int limit, CancellationToken cancellationToken) =>
        (await store.ListByMerchantAsync(merchantId, limit, after: null, cancellationToken)).Orders.Count;
}

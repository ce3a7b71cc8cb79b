namespace ShardKit.Migrations.Workload;

/// <summary>What the order workload drives: the OrderService sample over HTTP, or ShardKit's order store directly.</summary>
internal interface IOrderWorkloadTarget
{
    /// <summary>A one-line description for the report, e.g. the service URL.</summary>
    string Description { get; }

    /// <summary>Creates an order and returns its ID and the causal token of the write (null when none came back).</summary>
    Task<(OrderId Id, CausalToken? Token)> CreateAsync(WorkloadOrder order, CancellationToken cancellationToken);

    /// <summary>Reads an order by ID, with the token of its creation (so a replica serves it only once it has the order); <see langword="false"/> when it does not exist.</summary>
    Task<bool> GetAsync(OrderId orderId, CausalToken? token, CancellationToken cancellationToken);

    /// <summary>Lists a user's newest orders and returns how many came back.</summary>
    Task<int> ListByUserAsync(long userId, int limit, CancellationToken cancellationToken);

    /// <summary>Lists the first page of a merchant's newest orders and returns how many came back.</summary>
    Task<int> ListByMerchantAsync(long merchantId, int limit, CancellationToken cancellationToken);
}

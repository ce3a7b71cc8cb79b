
namespace ShardKit.Orders;

/// <summary>Merchant-dimension reads, served from the merchant copy (a deleted order's copy is gone; its tombstone stays in <c>shardkit_tombstones</c>).</summary>
public sealed partial class TwoDimensionOrderStore
{
    private const string FirstPage = """
        SELECT * FROM {orders} WHERE merchant_id = @MerchantId
        ORDER BY created_at DESC, order_id DESC LIMIT @Limit
        """;

    private const string NextPage = """
        SELECT * FROM {orders} WHERE merchant_id = @MerchantId
          AND (created_at < @CreatedAt OR (created_at = @CreatedAt AND order_id < @OrderId))
        ORDER BY created_at DESC, order_id DESC LIMIT @Limit
        """;

    /// <summary>The largest page <see cref="ListMerchantOrdersAsync(long, int, MerchantOrderCursor?, CancellationToken)"/> returns.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Reads an order with its items from its merchant shard (routed by the merchant gene in the ID).</summary>
    /// <param name="orderId">The order.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The merchant copy, or <see langword="null"/> when it does not exist there or is a tombstone.</returns>
    public Task<OrderRecord?> GetMerchantCopyAsync(OrderId orderId, CancellationToken cancellationToken = default) =>
        ReadOneAsync(orderId, ShardDimension.Merchant, read: null, cancellationToken);

    /// <summary>Reads an order's merchant copy where <paramref name="read"/> allows (see <see cref="GetAsync(OrderId, ReadOptions, CancellationToken)"/>).</summary>
    /// <param name="orderId">The order.</param>
    /// <param name="read">Which servers may serve the read, the causal token and the lag limit.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The merchant copy, or <see langword="null"/> when it does not exist there or is a tombstone.</returns>
    public Task<OrderRecord?> GetMerchantCopyAsync(OrderId orderId, ReadOptions read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        return ReadOneAsync(orderId, ShardDimension.Merchant, read, cancellationToken);
    }

    /// <summary>
    /// Reads one page of a merchant's orders from the merchant copy, newest first, by the keyset
    /// (created_at, order ID): each page reads only its own rows, however deep it is.
    /// </summary>
    /// <param name="merchantId">The merchant (positive).</param>
    /// <param name="pageSize">Orders per page, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="after">The <see cref="MerchantOrderPage.Next"/> of the previous page, or <see langword="null"/> for the first page.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="merchantId"/> is not positive or <paramref name="pageSize"/> is out of range.</exception>
    public Task<MerchantOrderPage> ListMerchantOrdersAsync(long merchantId, int pageSize, MerchantOrderCursor? after = null, CancellationToken cancellationToken = default) =>
        ListMerchantOrdersCoreAsync(merchantId, pageSize, after, read: null, cancellationToken);

    /// <summary>
    /// Reads one page of a merchant's orders (see <see cref="ListMerchantOrdersAsync(long, int, MerchantOrderCursor?, CancellationToken)"/>)
    /// where <paramref name="read"/> allows: a merchant's listing is the read a replica is for.
    /// </summary>
    /// <param name="merchantId">The merchant (positive).</param>
    /// <param name="pageSize">Orders per page, 1 to <see cref="MaxPageSize"/>.</param>
    /// <param name="after">The <see cref="MerchantOrderPage.Next"/> of the previous page, or <see langword="null"/> for the first page.</param>
    /// <param name="read">Which servers may serve the read, the causal token and the lag limit.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="merchantId"/> is not positive or <paramref name="pageSize"/> is out of range.</exception>
    public Task<MerchantOrderPage> ListMerchantOrdersAsync(long merchantId, int pageSize, MerchantOrderCursor? after, ReadOptions read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        return ListMerchantOrdersCoreAsync(merchantId, pageSize, after, read, cancellationToken);
    }

    private async Task<MerchantOrderPage> ListMerchantOrdersCoreAsync(long merchantId, int pageSize, MerchantOrderCursor? after, ReadOptions? read, CancellationToken cancellationToken)
    {
        RequireBuiltIn();
        if (pageSize is < 1 or > MaxPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, $"The page size must be from 1 to {MaxPageSize}.");
        }

        var shard = read is null
            ? await DataSource.OpenMerchantShardAsync(merchantId, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await DataSource.OpenAsync(DataSource.Map.RouteMerchant(merchantId), read, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            // One row more than the page tells whether another page follows.
            object parameters = after is null
                ? new { MerchantId = merchantId, Limit = pageSize + 1 }
                : new { MerchantId = merchantId, Limit = pageSize + 1, CreatedAt = after.CreatedAt.UtcDateTime, OrderId = after.OrderId.Value };
            var rows = (await UserSideReader.ReadOrdersAsync(shard, DataSource.Map.Tables, shard.Sql(after is null ? FirstPage : NextPage), parameters, null, cancellationToken).ConfigureAwait(false))
                .Select(s => BuiltInRows.ToRecord(s.Root!, s.Children, causalToken: null))
                .ToList();
            var more = rows.Count > pageSize;
            if (more)
            {
                rows.RemoveAt(rows.Count - 1);
            }

            return new MerchantOrderPage
            {
                Orders = rows,
                Next = more ? new MerchantOrderCursor(rows[^1].CreatedAt, rows[^1].Id) : null,
            };
        }
    }
}

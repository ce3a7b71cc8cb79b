using System.Data.Common;
using Dapper;

namespace ShardKit.Orders;

/// <summary>Creating orders together with their alternate keys, and releasing the keys of deleted orders.</summary>
public sealed partial class TwoDimensionOrderStore
{
    /// <summary>The store alternate keys are claimed in and released from, if the store was given one.</summary>
    public AlternateKeyStore? AlternateKeys { get; }

    /// <summary>
    /// Creates an order like <see cref="CreateAsync(OrderRecord, CancellationToken)"/>, claiming its alternate keys
    /// first: every key is mapped to the order (<see cref="AlternateKeyStore.GetOrClaimAsync"/>) before the order is
    /// written, so a lookup never points at nothing for long. The order then records its keys in
    /// <c>shardkit_order_keys</c>, in the same transaction, so <see cref="AlternateKeyStore.VerifyAsync"/> can find a
    /// missing mapping. If the order write fails after the claims, the mappings dangle until the sweeper removes them
    /// (after <see cref="AlternateKeyStoreOptions.DanglingGracePeriod"/>); a retry with the same order ID reuses them.
    /// </summary>
    /// <param name="order">The order.</param>
    /// <param name="alternateKeys">The keys that must name the order; distinct.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The order as stored.</returns>
    /// <exception cref="ArgumentException">The order is invalid, or a key is default or repeated.</exception>
    /// <exception cref="InvalidOperationException">Keys are given but the store was created without an <see cref="AlternateKeyStore"/>.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.AlternateKeyTaken"/>: a key already names another target; the keys this call claimed
    /// are released and the order is not written. <see cref="ShardKitErrorCode.ShardUnavailable"/>: a shard cannot be reached.
    /// </exception>
    public Task<OrderRecord> CreateAsync(OrderRecord order, IReadOnlyCollection<AlternateKey> alternateKeys, CancellationToken cancellationToken = default)
    {
        Validate(order);
        return WithClaimedKeysAsync(new AlternateKeyTarget(order.UserId, order.Id), alternateKeys, keys => CreateRecordAsync(order, keys, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Creates an order of the declared tables like <see cref="CreateAsync(OrderRow, CancellationToken)"/>, claiming its
    /// alternate keys first, as <see cref="CreateAsync(OrderRecord, IReadOnlyCollection{AlternateKey}, CancellationToken)"/> does.
    /// A key's value can be any column of the order (a <c>trade_no</c>, a legacy ID): <c>new AlternateKey("trade_no", (string)row["trade_no"])</c>.
    /// </summary>
    /// <param name="order">The order.</param>
    /// <param name="alternateKeys">The keys that must name the order; distinct.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The order as written.</returns>
    /// <exception cref="ArgumentException">The order is invalid, or a key is default or repeated.</exception>
    /// <exception cref="InvalidOperationException">Keys are given but the store was created without an <see cref="AlternateKeyStore"/>.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.AlternateKeyTaken"/>: a key already names another target; the keys this call claimed
    /// are released and the order is not written. <see cref="ShardKitErrorCode.ShardUnavailable"/>: a shard cannot be reached.
    /// </exception>
    public Task<OrderRow> CreateAsync(OrderRow order, IReadOnlyCollection<AlternateKey> alternateKeys, CancellationToken cancellationToken = default)
    {
        var orderKeys = RowBinder.Keys(order, DataSource.Map.Tables, DataSource.Map);
        return WithClaimedKeysAsync(
            new AlternateKeyTarget(orderKeys.UserId, orderKeys.Id), alternateKeys, keys => CreateRowAsync(order, orderKeys, keys, cancellationToken), cancellationToken);
    }

    /// <summary>Claims the keys for <paramref name="target"/>, runs the create, and gives the claims back if the create is refused.</summary>
    private async Task<T> WithClaimedKeysAsync<T>(AlternateKeyTarget target, IReadOnlyCollection<AlternateKey> alternateKeys, Func<IReadOnlyList<AlternateKey>, Task<T>> create, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alternateKeys);
        var keys = alternateKeys.ToList();
        if (keys.Any(k => k == default))
        {
            throw new ArgumentException("An alternate key is default; create keys with new AlternateKey(kind, value).", nameof(alternateKeys));
        }

        if (keys.Distinct().Count() != keys.Count)
        {
            throw new ArgumentException("The alternate keys contain a duplicate; each key names the order once.", nameof(alternateKeys));
        }

        if (keys.Count == 0)
        {
            return await create(keys).ConfigureAwait(false);
        }

        var store = AlternateKeys ?? throw new InvalidOperationException(
            "This TwoDimensionOrderStore was created without an AlternateKeyStore: pass one to its constructor (or register AddAlternateKeyStore) to create orders with alternate keys.");

        var claimed = new List<AlternateKey>();
        try
        {
            foreach (var key in keys)
            {
                var claim = await store.GetOrClaimAsync(key, target, cancellationToken).ConfigureAwait(false);
                if (claim.Claimed)
                {
                    claimed.Add(key);
                }
                else if (claim.Mapping.Target != target)
                {
                    throw store.Taken(key, claim.Mapping.Target, target);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Nothing of the order is written yet: give back what this call took.
            await ReleaseKeysAsync(claimed, target, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        try
        {
            return await create(keys).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            // Refused before anything was written (the ID belonged to a deleted order, or a value was refused).
            await ReleaseKeysAsync(claimed, target, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<List<AlternateKey>> TakeOrderKeysAsync(ShardConnection shard, OrderId orderId, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var id = new { OrderId = orderId.Value };
        var rows = await shard.Connection.QueryAsync<(string Kind, string Value)>(new CommandDefinition(
            shard.Sql(MappingSql.LockOrderKeys), id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var keys = rows.Select(r => new AlternateKey(r.Kind, r.Value)).ToList();
        if (keys.Count > 0)
        {
            await shard.Connection.ExecuteAsync(new CommandDefinition(shard.Sql(MappingSql.DeleteOrderKeys), id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return keys;
    }

    /// <summary>Releases keys that name <paramref name="target"/>, best effort: a key left behind dangles until swept.</summary>
    private async Task ReleaseKeysAsync(List<AlternateKey> keys, AlternateKeyTarget target, CancellationToken cancellationToken)
    {
        if (AlternateKeys is null)
        {
            return;
        }

        foreach (var key in keys)
        {
            try
            {
                await AlternateKeys.ReleaseAsync(key, target, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                MappingLog.MappingReleaseFailed(Logger, ex, key.Kind, target.OrderId?.Value ?? 0);
            }
        }
    }
}

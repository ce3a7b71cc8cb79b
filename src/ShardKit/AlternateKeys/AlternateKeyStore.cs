using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ShardKit.AlternateKeys;

/// <summary>
/// The alternate-key mapping layer: keys without shard genes (legacy order IDs, external trade or payment numbers,
/// phone numbers) mapped to a user and optionally an order. Each mapping lives in one user shard, chosen by a frozen
/// hash of the key (<see cref="AlternateKey.GetShard"/>), table <c>shardkit_key_mappings</c>. A key names one target
/// only: claims are unique per key, and a repeated claim for the same target is idempotent.
/// </summary>
/// <remarks>
/// <para>Lookups go through a bounded in-process cache (<see cref="AlternateKeyStoreOptions.CacheCapacity"/>) and check that
/// the named order still exists; a mapping whose order is gone is reported as dangling
/// (<see cref="AlternateKeyLookup.IsDangling"/>). <see cref="SweepAsync"/> (or <see cref="AlternateKeySweeper"/>) removes
/// dangling mappings older than <see cref="AlternateKeyStoreOptions.DanglingGracePeriod"/>.</para>
/// <para>To create an order together with its keys use
/// <see cref="TwoDimensionOrderStore.CreateAsync(OrderRecord, IReadOnlyCollection{AlternateKey}, CancellationToken)"/>:
/// the keys are claimed before the order is written. Do not call this store inside a <see cref="ShardTransaction"/>:
/// each call is its own statement on the key's shard.</para>
/// </remarks>
public sealed partial class AlternateKeyStore : IDisposable
{
    private readonly MappingCache _cache;
    private readonly Polly.ResiliencePipeline _claimRetry;

    /// <summary>Creates a store that reaches the mapping shards through <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">The routed data source.</param>
    /// <param name="options">Cache and sweep settings; the defaults when <see langword="null"/>.</param>
    /// <param name="loggerFactory">Logs sweeps and failed releases (event IDs 6xxx); the default logs nothing.</param>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public AlternateKeyStore(ShardKitDataSource dataSource, AlternateKeyStoreOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        DataSource = dataSource;
        Options = options ?? new AlternateKeyStoreOptions();
        OptionsValidator<AlternateKeyStoreOptions>.ThrowIfInvalid(Options, "options");
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<AlternateKeyStore>();
        _cache = new MappingCache(Options.CacheCapacity, Options.CacheDuration, dataSource.TimeProvider);
        Metrics = new MappingMetrics(_cache);
        _claimRetry = Resilience.TransientRetry.Create(BatchAttempts, TimeSpan.FromMilliseconds(5), dataSource.TimeProvider);
    }

    /// <summary>The data source the store routes through.</summary>
    public ShardKitDataSource DataSource { get; }

    internal AlternateKeyStoreOptions Options { get; }

    internal ILogger Logger { get; }

    internal MappingMetrics Metrics { get; }

    /// <summary>The user shard whose <c>shardkit_key_mappings</c> table holds <paramref name="key"/>.</summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ArgumentException"><paramref name="key"/> is <c>default</c>.</exception>
    public ShardRoute GetRoute(AlternateKey key)
    {
        if (key == default)
        {
            throw new ArgumentException("The alternate key is default; create keys with new AlternateKey(kind, value).", nameof(key));
        }

        var map = DataSource.Map;
        return map.GetRoute(ShardDimension.User, key.GetShard(map.GetShardCount(ShardDimension.User)));
    }

    /// <summary>
    /// Maps <paramref name="key"/> to <paramref name="target"/>. Claiming a key that already names the same target
    /// succeeds and returns the stored mapping (so retries are safe).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="target">What the key should name.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>The stored mapping.</returns>
    /// <exception cref="ArgumentException">The key is <c>default</c>, or the target's order does not belong to its user (the order ID's user gene is another shard).</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.AlternateKeyTaken"/>: the key already names a different target (the message names the key);
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/>: the key's shard cannot be reached.
    /// </exception>
    public async Task<AlternateKeyMapping> ClaimAsync(AlternateKey key, AlternateKeyTarget target, CancellationToken cancellationToken = default)
    {
        var claim = await GetOrClaimAsync(key, target, cancellationToken).ConfigureAwait(false);
        if (!claim.Claimed && claim.Mapping.Target != target)
        {
            throw Taken(key, claim.Mapping.Target, target);
        }

        return claim.Mapping;
    }

    /// <summary>
    /// Maps <paramref name="key"/> to <paramref name="target"/> if the key is not mapped yet; otherwise returns the
    /// existing mapping, whatever it names. Use it for claim-if-absent work that must be idempotent on retries (a
    /// migration mapping legacy order IDs to new ones keeps the first new ID ever claimed).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="target">What the key should name if it is free.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>The mapping now stored, and whether this call created it.</returns>
    /// <exception cref="ArgumentException">The key is <c>default</c>, or the target's order does not belong to its user (the order ID's user gene is another shard).</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the key's shard cannot be reached.</exception>
    public async Task<AlternateKeyClaim> GetOrClaimAsync(AlternateKey key, AlternateKeyTarget target, CancellationToken cancellationToken = default)
    {
        var route = GetRoute(key);
        ValidateTarget(target);
        var shard = await DataSource.OpenAsync(route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            while (true)
            {
                var now = OrderReader.Now(DataSource.TimeProvider);
                var inserted = await shard.Connection.ExecuteAsync(new CommandDefinition(
                    shard.Sql(MappingSql.Claim),
                    new { key.Kind, key.Value, target.UserId, OrderId = target.OrderId?.Value, Now = now.UtcDateTime },
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
                if (inserted == 1)
                {
                    var created = new AlternateKeyMapping(key, target, now);
                    _cache.Set(created);
                    return new AlternateKeyClaim(created, Claimed: true);
                }

                var existing = await ReadAsync(shard, key, cancellationToken).ConfigureAwait(false);
                if (existing is not null)
                {
                    _cache.Set(existing);
                    return new AlternateKeyClaim(existing, Claimed: false);
                }

                // Released between the two statements: the key is free again, claim it anew.
            }
        }
    }

    /// <summary>
    /// Finds what <paramref name="key"/> names, from the cache or from the key's shard (on its primary, so a claim is
    /// seen at once), and checks that the named order still exists in its user shard.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The mapping and whether it is dangling, or <see langword="null"/> when the key is not mapped.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is <c>default</c>.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the key's shard or the order's shard cannot be reached.</exception>
    public Task<AlternateKeyLookup?> LookupAsync(AlternateKey key, CancellationToken cancellationToken = default) =>
        LookupCoreAsync(key, read: null, cancellationToken);

    /// <summary>
    /// Finds what <paramref name="key"/> names, reading a mapping that is not cached where <paramref name="read"/> allows (a
    /// replica within its lag limit; with a causal token of the key's claim, one that has applied it). Whether the named
    /// order still exists is always checked on its user shard's primary, so a lagging replica never makes a mapping look dangling.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="read">Which servers may serve the mapping read.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The mapping and whether it is dangling, or <see langword="null"/> when the key is not mapped (or, without a token, not on the serving replica yet).</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is <c>default</c>.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the key's shard or the order's shard cannot be reached.</exception>
    public Task<AlternateKeyLookup?> LookupAsync(AlternateKey key, ReadOptions read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        return LookupCoreAsync(key, read, cancellationToken);
    }

    private async Task<AlternateKeyLookup?> LookupCoreAsync(AlternateKey key, ReadOptions? read, CancellationToken cancellationToken)
    {
        var route = GetRoute(key);
        var fromCache = _cache.TryGet(key, out var mapping);
        if (fromCache)
        {
            Metrics.Hit();
        }
        else
        {
            Metrics.Miss();
            var shard = read is null
                ? await DataSource.OpenAsync(route, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await DataSource.OpenAsync(route, read, cancellationToken).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                mapping = await ReadAsync(shard, key, cancellationToken).ConfigureAwait(false);
            }

            if (mapping is null)
            {
                return null;
            }

            _cache.Set(mapping);
        }

        var dangling = mapping!.Target.OrderId is { } orderId && !await OrderExistsAsync(orderId, cancellationToken).ConfigureAwait(false);
        if (dangling)
        {
            Metrics.Dangle();
            _cache.Remove(key);
        }

        return new AlternateKeyLookup(mapping, dangling, fromCache);
    }

    /// <summary>Removes the mapping of <paramref name="key"/> and drops it from this process's cache.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expectedTarget">When given, the mapping is removed only if it still names this target.</param>
    /// <param name="cancellationToken">Cancels the release.</param>
    /// <returns><see langword="true"/> if a mapping was removed.</returns>
    /// <exception cref="ArgumentException"><paramref name="key"/> is <c>default</c>.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the key's shard cannot be reached.</exception>
    public async Task<bool> ReleaseAsync(AlternateKey key, AlternateKeyTarget? expectedTarget = null, CancellationToken cancellationToken = default)
    {
        var route = GetRoute(key);
        _cache.Remove(key);
        var shard = await DataSource.OpenAsync(route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var removed = expectedTarget is null
                ? await shard.Connection.ExecuteAsync(new CommandDefinition(shard.Sql(MappingSql.Release), new { key.Kind, key.Value }, cancellationToken: cancellationToken)).ConfigureAwait(false)
                : await shard.Connection.ExecuteAsync(new CommandDefinition(
                    shard.Sql(MappingSql.ReleaseTarget),
                    new { key.Kind, key.Value, expectedTarget.UserId, OrderId = expectedTarget.OrderId?.Value },
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
            _cache.Remove(key);
            return removed > 0;
        }
    }

    /// <summary>The lookup counters since the store was created and the cache's current size.</summary>
    public AlternateKeyCacheStatistics GetCacheStatistics() => new()
    {
        Hits = Metrics.Hits,
        Misses = Metrics.Misses,
        Dangling = Metrics.Dangling,
        Count = _cache.Count,
        Capacity = _cache.Capacity,
    };

    /// <summary>Releases the store's metric instruments.</summary>
    public void Dispose() => Metrics.Dispose();

    internal void Forget(AlternateKey key) => _cache.Remove(key);

    internal void ValidateTarget(AlternateKeyTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.OrderId is { } orderId)
        {
            var map = DataSource.Map;
            var userShard = map.RouteUser(target.UserId).Shard;
            if (orderId.UserShard != userShard)
            {
                throw new ArgumentException(
                    $"Order {orderId.Value} carries user shard {orderId.UserShard}, but user {target.UserId} is on user shard {userShard}: the order is not that user's.",
                    nameof(target));
            }
        }
    }

    internal async Task<bool> OrderExistsAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        if ((uint)orderId.UserShard >= (uint)DataSource.Map.GetShardCount(ShardDimension.User))
        {
            return false;
        }

        var shard = await DataSource.OpenOrderShardAsync(orderId, ShardDimension.User, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var count = await shard.Connection.ExecuteScalarAsync<long>(new CommandDefinition(
                shard.Sql(MappingSql.OrderExists(DataSource.Map.Tables.Root)), new { OrderId = orderId.Value }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return count > 0;
        }
    }

    private static async Task<AlternateKeyMapping?> ReadAsync(ShardConnection shard, AlternateKey key, CancellationToken cancellationToken)
    {
        var rows = await shard.Connection.QueryAsync<(long UserId, long? OrderId, DateTime CreatedAt)>(new CommandDefinition(
            shard.Sql(MappingSql.Select), new { key.Kind, key.Value }, shard.Transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var row in rows)
        {
            return ToMapping(key, row.UserId, row.OrderId, row.CreatedAt);
        }

        return null;
    }

    internal static AlternateKeyMapping ToMapping(AlternateKey key, long userId, long? orderId, DateTime createdAt) =>
        new(key, new AlternateKeyTarget(userId, orderId is { } id ? OrderId.FromValidatedValue(id) : null), OrderReader.Utc(createdAt));

    internal ShardKitException Taken(AlternateKey key, AlternateKeyTarget existing, AlternateKeyTarget requested) =>
        new(
            ShardKitErrorCode.AlternateKeyTaken,
            $"The alternate key {key.Kind} '{key.Value}' is already taken by another target. A key names one target: release it first to move it.")
        {
            Shard = GetRoute(key).Name,
            AlternateKey = key,
            ExistingTarget = existing,
            RequestedTarget = requested,
        };
}

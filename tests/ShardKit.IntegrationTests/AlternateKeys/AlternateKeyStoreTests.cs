using System.Diagnostics.Metrics;
using ShardKit.IntegrationTests.Orders;

namespace ShardKit.IntegrationTests.AlternateKeys;

[Collection("Topology")]
public sealed class AlternateKeyStoreTests(TopologyFixture fixture) : IAsyncLifetime
{
    // Users and merchants of this class: 81_000_000+ (other classes use other ranges).
    private const long UserBase = 81_000_000;
    private const long MerchantBase = 82_000_000;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private ShardKitDataSource _shards = null!;
    private AlternateKeyStore _keys = null!;
    private TwoDimensionOrderStore _orders = null!;

    public async Task InitializeAsync()
    {
        _shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();
        _keys = new AlternateKeyStore(_shards);
        _orders = new TwoDimensionOrderStore(_shards, alternateKeys: _keys);
        await SharedSchema.EnsureAsync(_orders);
    }

    public async Task DisposeAsync()
    {
        _orders.Dispose();
        _keys.Dispose();
        await _shards.DisposeAsync();
    }

    [Fact]
    public async Task ManyConcurrentClaimsOfOneKeyLeaveExactlyOneWinner()
    {
        var key = Key("trade-no", "race");
        var attempts = Enumerable.Range(1, 24).Select(async i =>
        {
            await Task.Yield();
            try
            {
                return (Target: new AlternateKeyTarget(UserBase + i), Mapping: await _keys.ClaimAsync(key, new AlternateKeyTarget(UserBase + i)), Error: (ShardKitException?)null);
            }
            catch (ShardKitException ex)
            {
                return (Target: new AlternateKeyTarget(UserBase + i), Mapping: (AlternateKeyMapping?)null, Error: ex);
            }
        }).ToList();
        var results = await Task.WhenAll(attempts);

        var winner = Assert.Single(results, r => r.Mapping is not null);
        var losers = results.Where(r => r.Error is not null).ToList();
        Assert.Equal(23, losers.Count);
        Assert.All(losers, l =>
        {
            Assert.Equal(ShardKitErrorCode.AlternateKeyTaken, l.Error!.ErrorCode);
            Assert.False(l.Error.IsTransient);
            Assert.Contains($"trade-no '{key.Value}'", l.Error.Message, StringComparison.Ordinal);
            Assert.Equal(winner.Target, l.Error.ExistingTarget);
            Assert.DoesNotContain(winner.Target.ToString(), l.Error.Message, StringComparison.Ordinal);
        });
        using var fresh = new AlternateKeyStore(_shards);
        Assert.Equal(winner.Target, (await fresh.LookupAsync(key))!.Target);
    }

    [Fact]
    public async Task RepeatedClaimsForTheSameTargetAreIdempotentAndGetOrClaimReturnsTheFirstTarget()
    {
        var key = Key("legacy-order-id", "1001");
        var first = new AlternateKeyTarget(UserBase + 30, NewOrderId(UserBase + 30));
        var mappings = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _keys.ClaimAsync(key, first)));

        var retry = await _keys.GetOrClaimAsync(key, new AlternateKeyTarget(UserBase + 30, NewOrderId(UserBase + 30)));

        Assert.All(mappings, m => Assert.Equal(first, m.Target));
        Assert.Single(mappings.Select(m => m.CreatedAt).Distinct());
        Assert.False(retry.Claimed);
        Assert.Equal(first, retry.Mapping.Target);
        Assert.Equal(mappings[0].CreatedAt, retry.Mapping.CreatedAt);
    }

    [Fact]
    public async Task LookupFindsKeysOnEveryShardTheyHashTo()
    {
        var keys = Enumerable.Range(0, 300).Select(i => (Key: Key("payment-no", "P" + i), Target: new AlternateKeyTarget(UserBase + 100 + i))).ToList();
        foreach (var (key, target) in keys)
        {
            await _keys.ClaimAsync(key, target);
        }

        using var fresh = new AlternateKeyStore(_shards);
        var found = new List<AlternateKeyLookup?>();
        foreach (var (key, _) in keys)
        {
            found.Add(await fresh.LookupAsync(key));
        }

        var shards = keys.Select(k => _keys.GetRoute(k.Key)).ToList();
        Assert.True(shards.Select(s => s.Shard).Distinct().Count() > 80, "300 keys should land on most of the 120 user shards");
        Assert.Equal(2, shards.Select(s => s.Cluster.Name).Distinct().Count());
        Assert.Equal(keys.Select(k => k.Target), found.Select(f => f!.Target));
        Assert.All(found, f => Assert.False(f!.IsDangling || f.FromCache));
        Assert.Null(await fresh.LookupAsync(Key("payment-no", "never-claimed")));
        Assert.Equal(new AlternateKeyCacheStatistics { Hits = 0, Misses = 301, Dangling = 0, Count = 300, Capacity = 10_000 }, fresh.GetCacheStatistics());
    }

    [Fact]
    public async Task AnOrderCreatedWithKeysIsFoundThroughThemAndItsDeleteReleasesThem()
    {
        var factory = new OrderFactory(workerId: 61);
        var order = factory.New(UserBase + 501, MerchantBase + 1);
        var trade = Key("trade-no", "create");
        var payment = Key("payment-no", "create");

        var created = await _orders.CreateAsync(order, [trade, payment]);
        var byTrade = await _keys.LookupAsync(trade);
        var byPayment = await _keys.LookupAsync(payment);
        var deleted = await _orders.DeleteAsync(created.Id);

        Assert.Equal(new AlternateKeyTarget(order.UserId, order.Id), byTrade!.Target);
        Assert.Equal(byTrade.Target, byPayment!.Target);
        Assert.False(byTrade.IsDangling);
        Assert.True(deleted);
        Assert.Null(await _keys.LookupAsync(trade));
        Assert.Null(await _keys.LookupAsync(payment));
    }

    [Fact]
    public async Task ACreateWithATakenKeyWritesNoOrderAndGivesBackTheKeysItClaimed()
    {
        var factory = new OrderFactory(workerId: 62);
        var taken = Key("trade-no", "taken");
        await _keys.ClaimAsync(taken, new AlternateKeyTarget(UserBase + 600));
        var free = Key("payment-no", "free");
        var order = factory.New(UserBase + 601, MerchantBase + 2);

        var error = await Assert.ThrowsAsync<ShardKitException>(() => _orders.CreateAsync(order, [free, taken]));

        Assert.Equal(ShardKitErrorCode.AlternateKeyTaken, error.ErrorCode);

        // The message says the key is taken, never by whom: the winner's IDs stay in properties for the service's logs.
        Assert.Contains($"'{taken.Value}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain((UserBase + 600).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
        Assert.Equal(new AlternateKeyTarget(UserBase + 600), error.ExistingTarget);
        Assert.Equal(taken, error.AlternateKey);
        Assert.Equal(UserBase + 601, error.RequestedTarget?.UserId);
        Assert.Null(await _orders.GetAsync(order.Id));
        Assert.Null(await _keys.LookupAsync(free));
        Assert.Equal(new AlternateKeyTarget(UserBase + 600), (await _keys.LookupAsync(taken))!.Target);
    }

    [Fact]
    public async Task AMappingWhoseOrderIsGoneIsReportedAsDanglingAndCounted()
    {
        var key = Key("trade-no", "dangling");
        await _keys.ClaimAsync(key, new AlternateKeyTarget(UserBase + 700, NewOrderId(UserBase + 700)));
        var before = _keys.GetCacheStatistics();

        var first = await _keys.LookupAsync(key);
        var second = await _keys.LookupAsync(key);

        Assert.True(first!.IsDangling);
        Assert.True(first.FromCache); // the claim cached it
        Assert.True(second!.IsDangling);
        Assert.False(second.FromCache); // a dangling mapping is dropped from the cache
        var after = _keys.GetCacheStatistics();
        Assert.Equal(before.Dangling + 2, after.Dangling);
        Assert.Equal(before.Hits + 1, after.Hits);
        Assert.Equal(before.Misses + 1, after.Misses);
    }

    [Fact]
    public async Task TheSweeperRemovesOnlyDanglingMappingsOlderThanTheGracePeriod()
    {
        var factory = new OrderFactory(workerId: 63);
        var live = await _orders.CreateAsync(factory.New(UserBase + 801, MerchantBase + 3));
        await using var past = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).UseTimeProvider(new ShiftedClock(TimeSpan.FromHours(-1))).Build();
        using var oldKeys = new AlternateKeyStore(past);
        var oldDangling = Key("trade-no", "old-dangling");
        var oldLive = Key("trade-no", "old-live");
        var oldUser = Key("phone", "old-user");
        var inFlight = Key("trade-no", "in-flight");
        await oldKeys.ClaimAsync(oldDangling, new AlternateKeyTarget(UserBase + 802, NewOrderId(UserBase + 802)));
        await oldKeys.ClaimAsync(oldLive, new AlternateKeyTarget(live.UserId, live.Id));
        await oldKeys.ClaimAsync(oldUser, new AlternateKeyTarget(UserBase + 803));
        await _keys.ClaimAsync(inFlight, new AlternateKeyTarget(UserBase + 804, NewOrderId(UserBase + 804)));
        using var listener = Count("shardkit.mapping.swept", _keys, out var swept);

        var result = await _keys.SweepAsync();

        Assert.Empty(result.UnavailableShards);
        Assert.True(result.Removed >= 1);
        Assert.Equal(result.Removed, swept());
        Assert.Null(await _keys.LookupAsync(oldDangling));
        Assert.False((await _keys.LookupAsync(oldLive))!.IsDangling);
        Assert.NotNull(await _keys.LookupAsync(oldUser));
        Assert.True((await _keys.LookupAsync(inFlight))!.IsDangling); // within the grace period: kept
    }

    [Fact]
    public async Task TheCacheNeverHoldsMoreThanItsCapacityAndItsCountsReachTheMeter()
    {
        using var small = new AlternateKeyStore(_shards, new AlternateKeyStoreOptions { CacheCapacity = 5 });
        using var hits = Count("shardkit.mapping.cache.hits", small, out var hitCount);
        using var misses = Count("shardkit.mapping.cache.misses", small, out var missCount);
        var keys = Enumerable.Range(0, 20).Select(i => Key("phone", "cap" + i)).ToList();
        foreach (var key in keys)
        {
            await small.ClaimAsync(key, new AlternateKeyTarget(UserBase + 900));
            Assert.InRange(small.GetCacheStatistics().Count, 1, 5);
        }

        foreach (var key in keys)
        {
            await small.LookupAsync(key);
            Assert.InRange(small.GetCacheStatistics().Count, 1, 5);
        }

        // Claims cached keys 15-19; looking up 0-14 misses and evicts them, so 15-19 are gone again by their turn.
        var statistics = small.GetCacheStatistics();
        Assert.Equal(20, statistics.Hits + statistics.Misses);
        Assert.Equal(20, statistics.Misses);
        Assert.Equal(statistics.Hits, hitCount());
        Assert.Equal(statistics.Misses, missCount());
        Assert.Equal(5, statistics.Count);

        await small.LookupAsync(keys[19]);
        Assert.Equal(1, small.GetCacheStatistics().Hits);
        Assert.Equal(1, hitCount());
    }

    [Fact]
    public async Task ReleaseRemovesTheMappingAndInvalidatesTheCache()
    {
        var key = Key("phone", "release");
        var target = new AlternateKeyTarget(UserBase + 950);
        await _keys.ClaimAsync(key, target);
        Assert.True((await _keys.LookupAsync(key))!.FromCache);

        Assert.False(await _keys.ReleaseAsync(key, new AlternateKeyTarget(UserBase + 951)));
        Assert.NotNull(await _keys.LookupAsync(key));
        Assert.True(await _keys.ReleaseAsync(key, target));
        Assert.Null(await _keys.LookupAsync(key));
        Assert.False(await _keys.ReleaseAsync(key));

        var other = new AlternateKeyTarget(UserBase + 952);
        Assert.Equal(other, (await _keys.ClaimAsync(key, other)).Target);
    }

    private AlternateKey Key(string kind, string value) => new(kind, $"{_run}-{value}");

    private OrderId NewOrderId(long userId) => new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 64 }).Next(userId, MerchantBase + 99);

    /// <summary>Sums one counter's measurements, only those of <paramref name="store"/>'s meter.</summary>
    private static MeterListener Count(string instrument, AlternateKeyStore store, out Func<long> total)
    {
        long sum = 0;
        var listener = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Name == instrument && ReferenceEquals(i.Meter, store.Metrics.Meter))
                {
                    l.EnableMeasurementEvents(i);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref sum, value));
        listener.Start();
        total = () => Interlocked.Read(ref sum);
        return listener;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;

namespace ShardKit.IntegrationTests.Orders;

/// <summary>
/// Relays run as hosted services share the user shards through leases: they split them, a killed relay's shards are
/// taken over once its leases lapse, and a backlog drained by four relays, one killed mid-drain, is applied in full.
/// A "killed" relay is stopped without releasing its leases (<see cref="ShardLeaseKeeper.ReleaseOnStop"/>), which is
/// what the lease table sees of a process killed with SIGKILL.
/// </summary>
[Collection("Topology")]
public sealed class RelayLeaseTests(TopologyFixture fixture) : IAsyncLifetime
{
    // Users and merchants of this class: 77_000_000+ and 78_000_000+ (other classes use other ranges).
    private const long UserBase = 77_000_000;
    private const long MerchantBase = 78_000_000;
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);
    private ShardKitDataSource _shards = null!;
    private TwoDimensionOrderStore _deferred = null!;

    public async Task InitializeAsync()
    {
        _shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();
        using (var store = new TwoDimensionOrderStore(_shards))
        {
            await SharedSchema.EnsureAsync(store);
        }

        _deferred = new TwoDimensionOrderStore(_shards, new TwoDimensionOrderStoreOptions { ApplyMerchantCopyImmediately = false });
    }

    public async Task DisposeAsync()
    {
        _deferred.Dispose();
        await _shards.DisposeAsync();
    }

    [Fact]
    public async Task SchemaApplyCreatesTheLeaseTablesOnEveryCluster()
    {
        foreach (var cluster in _shards.Map.Clusters)
        {
            await using var connection = await _shards.OpenClusterAsync(cluster, CancellationToken.None);
            Assert.Equal(2, await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shardkit' AND table_name IN ('shardkit_leases', 'shardkit_lease_holders')"));
        }
    }

    [Fact]
    public async Task TwoRelaysSplitTheShardsAndTheSurvivorTakesOverAKilledRelaysShardsWithinTheLeaseDuration()
    {
        var a = Relay("a");
        var b = Relay("b");
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        try
        {
            var total = _shards.Map.GetShardCount(ShardDimension.User);
            await WaitUntilAsync(() => Settled([a, b]), "the two relays did not settle on half of the shards each");
            Assert.Empty(a.HeldShards.Intersect(b.HeldShards));
            Assert.Equal(Enumerable.Range(0, total), a.HeldShards.Union(b.HeldShards).Order());

            // An order on a shard that b holds, written after b was killed, is applied by a once b's lease lapsed.
            var bShards = b.HeldShards.ToHashSet();
            await Kill(b);
            var killedAt = Stopwatch.StartNew();
            var factory = new OrderFactory(workerId: 31);
            var order = Enumerable.Range(1, 1000).Select(i => factory.New(UserBase + i, MerchantBase + i))
                .First(o => bShards.Contains(o.Id.UserShard));
            var created = await _deferred.CreateAsync(order);

            await WaitUntilAsync(() => a.HeldShards.Count == total, "the survivor did not take over the killed relay's shards");
            var takeover = killedAt.Elapsed;
            Assert.True(takeover < s_wait, $"takeover took {takeover}");
            await WaitUntilAsync(async () => await _deferred.GetMerchantCopyAsync(created.Id) is not null, "the order on a taken-over shard was not applied");
            Assert.Equal(OrderFactory.Describe(created), OrderFactory.Describe(await _deferred.GetMerchantCopyAsync(created.Id)));
        }
        finally
        {
            await a.StopAsync(CancellationToken.None);
            await b.Leases!.ReleaseAllAsync();
        }
    }

    [Fact]
    public async Task AStoppedRelayReleasesItsLeasesAndItsMembership()
    {
        var relay = Relay("stopping");
        await relay.StartAsync(CancellationToken.None);
        var total = _shards.Map.GetShardCount(ShardDimension.User);
        await WaitUntilAsync(() => relay.HeldShards.Count == total, "a relay alone did not take every shard");

        await relay.StopAsync(CancellationToken.None);

        Assert.Empty(relay.HeldShards);
        foreach (var cluster in _shards.Map.Clusters)
        {
            await using var connection = await _shards.OpenClusterAsync(cluster, CancellationToken.None);
            var holder = relay.Leases!.Holder;
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM `shardkit`.`shardkit_leases` WHERE kind = 'outbox' AND holder = @holder AND expires_at > UTC_TIMESTAMP(6)", new { holder }));
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM `shardkit`.`shardkit_lease_holders` WHERE kind = 'outbox' AND holder = @holder", new { holder }));
        }
    }

    [Fact]
    public async Task FourRelaysDrainABacklogInFullWhenOneIsKilledMidDrainAndNoCopyMovesBackwards()
    {
        // The backlog: 600 orders written without their merchant copies, a third of them updated twice, their entries
        // held back until the four relays have settled on their shares, then released all at once.
        var factory = new OrderFactory(workerId: 32);
        var orders = new ConcurrentDictionary<OrderId, OrderRecord>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 600), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var order = await _deferred.CreateAsync(factory.New(UserBase + 10_000 + i, MerchantBase + 10_000 + (i % 50)), ct);
            if (i % 3 == 0)
            {
                order = (await _deferred.UpdateAsync(OrderFactory.Changed(order, "paid", 2), ct))!;
                order = (await _deferred.UpdateAsync(OrderFactory.Changed(order, "shipped", 3), ct))!;
            }

            orders[order.Id] = order;
        });
        await SetDueAsync(orders.Keys, "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR");

        var relays = Enumerable.Range(0, 4).Select(i => Relay($"backlog-{i}", parallelism: 1, batchSize: 5)).ToList();
        foreach (var relay in relays)
        {
            await relay.StartAsync(CancellationToken.None);
        }

        var total = _shards.Map.GetShardCount(ShardDimension.User);
        using var sampling = new CancellationTokenSource();
        var backwards = new ConcurrentQueue<string>();
        Task? sampler = null;
        try
        {
            await WaitUntilAsync(() => Settled(relays), "the four relays did not settle on a quarter of the shards each");
            var victim = relays[0];
            var victimShards = victim.HeldShards.ToHashSet();

            // While the backlog drains, a writer keeps updating orders and a reader checks that no merchant copy's
            // version ever goes down.
            var sample = orders.Keys.Take(60).ToList();
            sampler = Task.Run(() => SampleVersionsAsync(sample, backwards, sampling.Token));
            var writer = Task.Run(async () =>
            {
                var random = new Random(5);
                var ids = orders.Keys.ToList();
                for (var i = 0; i < 100; i++)
                {
                    var id = ids[random.Next(ids.Count)];
                    var current = await _deferred.GetAsync(id);
                    var updated = await _deferred.UpdateAsync(OrderFactory.Changed(current!, $"w{i}", 1 + (i % 4)));
                    orders[id] = updated!;
                }
            });

            await SetDueAsync(orders.Keys, "'2000-01-01 00:00:00'");
            await WaitUntilAsync(() => victim.AppliedEntries > 0, "the relay to be killed applied nothing");
            await Kill(victim);
            var leftOnVictimShards = await PendingAsync(orders.Keys.Where(o => victimShards.Contains(o.UserShard)));
            Assert.True(leftOnVictimShards > 0, "the killed relay had already drained its shards: not a kill mid-drain");

            await writer;
            await WaitUntilAsync(async () => await PendingAsync(orders.Keys) == 0, "the backlog was not drained after the kill");
            Assert.True(relays.Skip(1).Sum(r => r.HeldShards.Count) == total, "the survivors do not hold every shard");
        }
        finally
        {
            await sampling.CancelAsync();
            if (sampler is not null)
            {
                await sampler;
            }

            foreach (var relay in relays.Skip(1))
            {
                await relay.StopAsync(CancellationToken.None);
            }

            await relays[0].Leases!.ReleaseAllAsync();
        }

        Assert.Empty(backwards);
        foreach (var (id, expected) in orders)
        {
            var user = await _deferred.GetAsync(id);
            Assert.Equal(OrderFactory.Describe(expected), OrderFactory.Describe(user));
            Assert.Equal(OrderFactory.Describe(user), OrderFactory.Describe(await _deferred.GetMerchantCopyAsync(id)));
        }
    }

    private OutboxRelay Relay(string name, int parallelism = 4, int batchSize = 200) => new(_deferred, new OutboxRelayOptions
    {
        PollInterval = TimeSpan.FromMilliseconds(100),
        Parallelism = parallelism,
        BatchSize = batchSize,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        RetryMaxDelay = TimeSpan.FromMilliseconds(200),
        Leases = { LeaseDuration = TimeSpan.FromSeconds(3), RenewInterval = TimeSpan.FromSeconds(1), HolderName = name },
    });

    /// <summary>Stops a relay as a kill would: its work is cancelled mid-statement and its leases stay in the table until they lapse.</summary>
    private static async Task Kill(OutboxRelay relay)
    {
        relay.Leases!.ReleaseOnStop = false;
        await relay.StopAsync(CancellationToken.None);
    }

    private async Task SampleVersionsAsync(List<OrderId> sample, ConcurrentQueue<string> backwards, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<OrderId, long>();
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var id in sample)
            {
                var copy = await _deferred.GetMerchantCopyAsync(id, CancellationToken.None);
                var version = copy?.Version ?? 0;
                if (version < seen.GetValueOrDefault(id))
                {
                    backwards.Enqueue($"{id}: v{seen[id]} then v{version}");
                }

                seen[id] = Math.Max(version, seen.GetValueOrDefault(id));
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>Every user shard held by exactly one relay, and the shares even (each cluster's shards split evenly, so within one shard per cluster).</summary>
    private bool Settled(IReadOnlyList<OutboxRelay> relays)
    {
        var held = relays.Select(r => r.HeldShards).ToList();
        var total = _shards.Map.GetShardCount(ShardDimension.User);
        return held.Sum(h => h.Count) == total
            && held.SelectMany(h => h).Distinct().Count() == total
            && held.Max(h => h.Count) - held.Min(h => h.Count) <= _shards.Map.Clusters.Count;
    }

    /// <summary>Sets <c>next_attempt_at</c> of the orders' pending entries: holding a backlog back, or making it due at once.</summary>
    private async Task SetDueAsync(IEnumerable<OrderId> orderIds, string when)
    {
        foreach (var group in orderIds.GroupBy(o => o.UserShard))
        {
            await using var shard = await _shards.OpenAsync(_shards.Map.GetRoute(ShardDimension.User, group.Key), ShardIntent.Write);
            await shard.Connection.ExecuteAsync(
                shard.Sql($"UPDATE {{schema}}.shardkit_outbox SET next_attempt_at = {when} WHERE applied_at IS NULL AND order_id IN @Ids"),
                new { Ids = group.Select(o => o.Value).ToArray() });
        }
    }

    private async Task<long> PendingAsync(IEnumerable<OrderId> orderIds)
    {
        long pending = 0;
        foreach (var group in orderIds.GroupBy(o => o.UserShard))
        {
            await using var shard = await _shards.OpenAsync(_shards.Map.GetRoute(ShardDimension.User, group.Key), ShardIntent.Write);
            pending += await shard.Connection.ExecuteScalarAsync<long>(
                shard.Sql("SELECT COUNT(*) FROM {schema}.shardkit_outbox WHERE applied_at IS NULL AND order_id IN @Ids"),
                new { Ids = group.Select(o => o.Value).ToArray() });
        }

        return pending;
    }

    private static Task WaitUntilAsync(Func<bool> condition, string failure) => WaitUntilAsync(() => Task.FromResult(condition()), failure);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < s_wait, $"{failure} within {s_wait.TotalSeconds} s");
            await Task.Delay(50);
        }
    }
}

using System.Diagnostics;
using ShardKit.IntegrationTests.Orders;

namespace ShardKit.IntegrationTests.AlternateKeys;

/// <summary>Hosted sweepers in several instances share the user shards through leases, as the relays do.</summary>
[Collection("Topology")]
public sealed class AlternateKeySweeperLeaseTests(TopologyFixture fixture) : IAsyncLifetime
{
    // Users and merchants of this class: 83_000_000+ and 84_000_000+ (other classes use other ranges).
    private const long UserBase = 83_000_000;
    private const long MerchantBase = 84_000_000;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private ShardKitDataSource _shards = null!;

    public async Task InitializeAsync()
    {
        _shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();
        using var orders = new TwoDimensionOrderStore(_shards);
        await SharedSchema.EnsureAsync(orders);
    }

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    [Fact]
    public async Task TwoSweepersSplitTheShardsAndBetweenThemRemoveOldDanglingMappingsOnEveryShard()
    {
        // Dangling mappings an hour old on many shards (their orders were never written).
        await using var past = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).UseTimeProvider(new ShiftedClock(TimeSpan.FromHours(-1))).Build();
        using (var oldKeys = new AlternateKeyStore(past))
        {
            var ids = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 33 });
            for (var i = 0; i < 40; i++)
            {
                await oldKeys.ClaimAsync(Key(i), new AlternateKeyTarget(UserBase + i, ids.Next(UserBase + i, MerchantBase + i)));
            }
        }

        var options = new AlternateKeyStoreOptions
        {
            SweepInterval = TimeSpan.FromMilliseconds(200),
            SweepLeases = { LeaseDuration = TimeSpan.FromSeconds(3), RenewInterval = TimeSpan.FromSeconds(1) },
        };
        using var storeA = new AlternateKeyStore(_shards, options);
        using var storeB = new AlternateKeyStore(_shards, options);
        using var a = new AlternateKeySweeper(storeA);
        using var b = new AlternateKeySweeper(storeB);
        await a.StartAsync(CancellationToken.None);
        await b.StartAsync(CancellationToken.None);
        try
        {
            var total = _shards.Map.GetShardCount(ShardDimension.User);
            await WaitUntilAsync(
                () => Task.FromResult(a.HeldShards.Count + b.HeldShards.Count == total && !a.HeldShards.Intersect(b.HeldShards).Any()
                    && Math.Abs(a.HeldShards.Count - b.HeldShards.Count) <= _shards.Map.Clusters.Count),
                "the two sweepers did not split the shards");

            using var fresh = new AlternateKeyStore(_shards);
            await WaitUntilAsync(
                async () => (await Task.WhenAll(Enumerable.Range(0, 40).Select(i => fresh.LookupAsync(Key(i))))).All(l => l is null),
                "the old dangling mappings were not all removed");
        }
        finally
        {
            await a.StopAsync(CancellationToken.None);
            await b.StopAsync(CancellationToken.None);
        }

        Assert.Empty(a.HeldShards);
        Assert.Empty(b.HeldShards);
    }

    private AlternateKey Key(int i) => new("trade-no", $"{_run}-sweep-{i}");

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"{failure} within 60 s");
            await Task.Delay(100);
        }
    }
}

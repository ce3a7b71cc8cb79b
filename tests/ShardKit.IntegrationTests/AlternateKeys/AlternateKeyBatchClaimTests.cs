namespace ShardKit.IntegrationTests.AlternateKeys;

[Collection("Topology")]
public sealed class AlternateKeyBatchClaimTests(TopologyFixture fixture) : IAsyncLifetime
{
    // Users of this class: 93_000_000+ (other classes use other ranges).
    private const long UserBase = 93_000_000;
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];
    private ShardKitDataSource _shards = null!;

    public async Task InitializeAsync()
    {
        _shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit")).Build();
        using var orders = new TwoDimensionOrderStore(_shards);
        await Orders.SharedSchema.EnsureAsync(orders);
    }

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    [Fact]
    public async Task ConcurrentBatchAndSingleClaimsOfOverlappingKeysLeaveOneWinnerPerKeyAndKeepExistingMappings()
    {
        var keys = Enumerable.Range(0, 300).Select(i => new AlternateKey("batch-test", $"{_run}-{i}")).ToList();
        var existing = keys.Where((_, i) => i % 7 == 0).ToDictionary(k => k, k => new AlternateKeyTarget(UserBase + 999));
        using (var setup = new AlternateKeyStore(_shards))
        {
            foreach (var (key, target) in existing)
            {
                await setup.ClaimAsync(key, target);
            }
        }

        // Six batch claimers (every key, each in its own shuffled order and with its own target) and one single claimer per
        // tenth key race; each uses a store of its own, so no cache is shared.
        var stores = Enumerable.Range(0, 7).Select(_ => new AlternateKeyStore(_shards)).ToList();
        try
        {
            var batches = Enumerable.Range(1, 6).Select(async claimer =>
            {
                await Task.Yield();
                var order = keys.OrderBy(_ => Random.Shared.Next()).Select(k => (k, new AlternateKeyTarget(UserBase + claimer))).ToList();
                return await stores[claimer - 1].GetOrClaimManyAsync(order, CancellationToken.None);
            }).ToList();
            var singles = keys.Where((_, i) => i % 10 == 3).Select(async key =>
            {
                await Task.Yield();
                return (await stores[6].GetOrClaimAsync(key, new AlternateKeyTarget(UserBase + 7))).Mapping;
            }).ToList();
            var batchResults = await Task.WhenAll(batches);
            var singleResults = await Task.WhenAll(singles);

            using var fresh = new AlternateKeyStore(_shards);
            foreach (var key in keys)
            {
                var stored = (await fresh.LookupAsync(key))!.Mapping;
                Assert.All(batchResults, result => Assert.Equal(stored, result[key]));
                if (existing.TryGetValue(key, out var before))
                {
                    Assert.Equal(before, stored.Target);
                }
                else
                {
                    Assert.InRange(stored.Target.UserId, UserBase + 1, UserBase + 7);
                }
            }

            Assert.All(singleResults, single => Assert.Equal(single, batchResults[0][single.Key]));
            Assert.All(batchResults, result => Assert.Equal(keys.Count, result.Count));
        }
        finally
        {
            stores.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task ABatchClaimReturnsTheExistingMappingAndDoesNotOverwriteIt()
    {
        using var keys = new AlternateKeyStore(_shards);
        var taken = new AlternateKey("batch-test", _run + "-taken");
        var free = new AlternateKey("batch-test", _run + "-free");
        var first = await keys.ClaimAsync(taken, new AlternateKeyTarget(UserBase + 50));

        var result = await keys.GetOrClaimManyAsync([(taken, new AlternateKeyTarget(UserBase + 51)), (free, new AlternateKeyTarget(UserBase + 52))], CancellationToken.None);

        Assert.Equal(first, result[taken]);
        Assert.Equal(new AlternateKeyTarget(UserBase + 52), result[free].Target);
        using var fresh = new AlternateKeyStore(_shards);
        Assert.Equal(new AlternateKeyTarget(UserBase + 50), (await fresh.LookupAsync(taken))!.Mapping.Target);
        Assert.Equal(new AlternateKeyTarget(UserBase + 52), (await fresh.LookupAsync(free))!.Mapping.Target);
    }

    [Fact]
    public async Task ABatchClaimNamingOneKeyTwiceIsRejectedBeforeAnythingIsClaimed()
    {
        using var keys = new AlternateKeyStore(_shards);
        var twice = new AlternateKey("batch-test", _run + "-twice");
        var other = new AlternateKey("batch-test", _run + "-other");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => keys.GetOrClaimManyAsync(
            [(other, new AlternateKeyTarget(UserBase + 60)), (twice, new AlternateKeyTarget(UserBase + 61)), (twice, new AlternateKeyTarget(UserBase + 62))], CancellationToken.None));

        Assert.Contains("batch-test:" + _run + "-twice", error.Message, StringComparison.Ordinal);
        Assert.Null(await keys.LookupAsync(other));
    }
}

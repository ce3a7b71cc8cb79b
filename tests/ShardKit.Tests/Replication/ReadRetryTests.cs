using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Replication;

public sealed class ReadRetryTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    [Fact]
    public async Task AReadThatFailsTransientlyRunsAgainOnAFreshConnection()
    {
        await using var shards = Build();
        var route = shards.Map.RouteUser(42);
        var attempts = new List<ShardConnection>();

        var result = await shards.ReadAsync(route, (shard, _) =>
        {
            attempts.Add(shard);
            return attempts.Count == 1
                ? throw new ShardKitException(ShardKitErrorCode.ShardUnavailable, "the replica went away")
                : Task.FromResult(7);
        });

        Assert.Equal(7, result);
        Assert.Equal(2, attempts.Count);
        Assert.NotSame(attempts[0], attempts[1]);
    }

    [Fact]
    public async Task OverloadAndOrdinaryErrorsAreNotRetried()
    {
        await using var shards = Build();
        var route = shards.Map.RouteUser(42);
        var attempts = 0;

        await Assert.ThrowsAsync<ShardKitException>(() => shards.ReadAsync<int>(route, (_, _) =>
        {
            attempts++;
            throw new ShardKitException(ShardKitErrorCode.Overloaded, "busy");
        }));
        await Assert.ThrowsAsync<FakeDbException>(() => shards.ReadAsync<int>(route, (_, _) =>
        {
            attempts++;
            throw new FakeDbException("syntax error");
        }));

        Assert.Equal(2, attempts);
    }

    [Fact]
    public async Task InsideATransactionAReadRunsOnceOnTheTransactionsConnection()
    {
        await using var shards = Build();
        await using var write = await shards.OpenUserShardAsync(42, ShardIntent.Write);
        await using var transaction = await write.BeginTransactionAsync();
        var attempts = 0;

        await Assert.ThrowsAsync<ShardKitException>(() => shards.ReadAsync<int>(write.Route, (shard, _) =>
        {
            attempts++;
            Assert.Same(write.Connection, shard.Connection);
            throw new ShardKitException(ShardKitErrorCode.ShardUnavailable, "lost");
        }));

        Assert.Equal(1, attempts);
    }

    private ShardKitDataSource Build() => new ShardKitDataSourceBuilder(TestTopologies.DevUp()).UseProvider(_provider).Build();
}

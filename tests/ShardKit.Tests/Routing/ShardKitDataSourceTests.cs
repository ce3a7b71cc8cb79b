using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Routing;

public sealed class ShardKitDataSourceTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    private ShardKitDataSource Build(ShardKitOptions? options = null) =>
        new ShardKitDataSourceBuilder(options ?? TestTopologies.DevUp()).UseProvider(_provider).Build();

    [Fact]
    public async Task CreatesOnePoolPerPhysicalEndpointSharedByAllItsShards()
    {
        await using var shards = Build();

        for (var shard = 0; shard < 120; shard++)
        {
            foreach (var dimension in new[] { ShardDimension.User, ShardDimension.Merchant })
            {
                await using var connection = await shards.OpenAsync(shards.Map.GetRoute(dimension, shard), ShardIntent.Write);
            }
        }

        Assert.Equal(240, _provider.Server.Opened);
        Assert.Equal([TestTopologies.Endpoint(3310), TestTopologies.Endpoint(3312)], _provider.DataSources);
    }

    [Fact]
    public async Task OpensTheRoutedClustersPrimaryWithItsSchema()
    {
        await using var shards = Build();
        var expected = shards.Map.RouteUser(12345);

        await using var connection = await shards.OpenUserShardAsync(12345, ReadPreference.Primary);

        Assert.Equal(expected, connection.Route);
        Assert.Equal(expected.Cluster.Primary.Address == "127.0.0.1:3310" ? TestTopologies.Endpoint(3310) : TestTopologies.Endpoint(3312), connection.Connection.ConnectionString);
        Assert.Equal(System.Data.ConnectionState.Open, connection.Connection.State);
        Assert.Equal(expected.Schema, connection.Schema);
        Assert.Equal($"SELECT 1 FROM `{expected.Schema}`.`orders`", connection.Sql("SELECT 1 FROM {orders}"));
        Assert.Null(connection.Transaction);
    }

    [Fact]
    public async Task OpensAnOrdersUserAndMerchantShardsFromItsGenes()
    {
        await using var shards = Build();
        var orderId = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 9 }).Next(1001, 2002);

        await using var user = await shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Read);
        await using var merchant = await shards.OpenMerchantShardAsync(2002, ShardIntent.Write);
        await using var merchantByOrder = await shards.OpenOrderShardAsync(orderId, ShardDimension.Merchant, ShardIntent.Write);

        Assert.Equal(shards.Map.RouteUser(1001), user.Route);
        Assert.Equal(merchant.Route, merchantByOrder.Route);
    }

    [Fact]
    public async Task DisposingAShardConnectionClosesIt()
    {
        await using var shards = Build();
        var connection = await shards.OpenUserShardAsync(1, ShardIntent.Write);
        var inner = connection.Connection;

        await connection.DisposeAsync();

        Assert.Equal(System.Data.ConnectionState.Closed, inner.State);
    }

    [Fact]
    public async Task RefusesToRouteIntoAnotherShardWhileATransactionIsOpen()
    {
        await using var shards = Build();
        var (first, second) = TwoUsersOnDifferentShards(shards.Map);
        await using var connection = await shards.OpenUserShardAsync(first, ShardIntent.Write);
        await using var transaction = await connection.BeginTransactionAsync();

        var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(second, ShardIntent.Write));

        Assert.Equal(ShardKitErrorCode.CrossShardTransaction, ex.ErrorCode);
        Assert.Contains(shards.Map.RouteUser(first).Name, ex.Message, StringComparison.Ordinal);
        Assert.Contains(shards.Map.RouteUser(second).Name, ex.Message, StringComparison.Ordinal);
        Assert.Equal(shards.Map.RouteUser(second).Name, ex.Shard);
        Assert.Equal(1, _provider.Server.Opened);
    }

    [Fact]
    public async Task RefusesTheMerchantCopyOfTheSameOrderInsideAUserShardTransaction()
    {
        await using var shards = Build();
        var orderId = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 9 }).Next(31, 41);
        await using var connection = await shards.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write);
        await using var transaction = await connection.BeginTransactionAsync();

        var ex = await Assert.ThrowsAsync<ShardKitException>(async () =>
            await shards.OpenOrderShardAsync(orderId, ShardDimension.Merchant, ShardIntent.Write));

        Assert.Equal(ShardKitErrorCode.CrossShardTransaction, ex.ErrorCode);
    }

    [Fact]
    public async Task RoutingIntoTheSameShardReusesTheTransactionsConnection()
    {
        await using var shards = Build();
        await using var connection = await shards.OpenUserShardAsync(77, ShardIntent.Write);
        await using var transaction = await connection.BeginTransactionAsync();

        await using (var again = await shards.OpenUserShardAsync(77, ShardIntent.Read))
        {
            Assert.Same(connection.Connection, again.Connection);
            Assert.Same(transaction.DbTransaction, again.Transaction);
            Assert.Same(transaction.DbTransaction, connection.Transaction);
        }

        Assert.Equal(System.Data.ConnectionState.Open, connection.Connection.State);
        await transaction.CommitAsync();
        Assert.True(((FakeTransaction)transaction.DbTransaction).Committed);
        Assert.Equal(1, _provider.Server.Opened);
    }

    [Fact]
    public async Task AFinishedTransactionNoLongerBindsTheFlow()
    {
        await using var shards = Build();
        var (first, second) = TwoUsersOnDifferentShards(shards.Map);
        await using var connection = await shards.OpenUserShardAsync(first, ShardIntent.Write);
        var transaction = await connection.BeginTransactionAsync();
        await transaction.RollbackAsync();

        await using var other = await shards.OpenUserShardAsync(second, ShardIntent.Write);

        Assert.NotSame(connection.Connection, other.Connection);
        Assert.True(((FakeTransaction)transaction.DbTransaction).RolledBack);
    }

    [Fact]
    public async Task ATransactionBindsOnlyTheFlowThatBeganIt()
    {
        await using var shards = Build();
        var (first, second) = TwoUsersOnDifferentShards(shards.Map);
        var transactionOpen = new TaskCompletionSource();

        // Another request, started before the transaction, runs concurrently on its own flow.
        var otherRequest = Task.Run(async () =>
        {
            await transactionOpen.Task;
            await using var c = await shards.OpenUserShardAsync(second, ShardIntent.Read);
            return c.Route;
        });

        await using var connection = await shards.OpenUserShardAsync(first, ShardIntent.Write);
        await using var transaction = await connection.BeginTransactionAsync();
        transactionOpen.SetResult();

        Assert.Equal(shards.Map.RouteUser(second), await otherRequest.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task WorkStartedInsideATransactionInheritsItsBinding()
    {
        await using var shards = Build();
        var (first, second) = TwoUsersOnDifferentShards(shards.Map);
        await using var connection = await shards.OpenUserShardAsync(first, ShardIntent.Write);
        await using var transaction = await connection.BeginTransactionAsync();

        var ex = await Assert.ThrowsAsync<ShardKitException>(() => Task.Run(async () =>
        {
            await using var c = await shards.OpenUserShardAsync(second, ShardIntent.Read);
        }));

        Assert.Equal(ShardKitErrorCode.CrossShardTransaction, ex.ErrorCode);
    }

    [Fact]
    public async Task DisposingTheConnectionRollsBackItsOpenTransaction()
    {
        await using var shards = Build();
        var connection = await shards.OpenUserShardAsync(5, ShardIntent.Write);
        var transaction = await connection.BeginTransactionAsync();
        var inner = (FakeTransaction)transaction.DbTransaction;

        await connection.DisposeAsync();

        Assert.True(inner.RolledBack);
        Assert.False(inner.Committed);
    }

    [Fact]
    public async Task RefusesANestedTransactionOnTheSameShard()
    {
        await using var shards = Build();
        await using var connection = await shards.OpenUserShardAsync(5, ShardIntent.Write);
        await using var transaction = await connection.BeginTransactionAsync();
        await using var again = await shards.OpenUserShardAsync(5, ShardIntent.Write);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await again.BeginTransactionAsync());
    }

    [Fact]
    public async Task ReportsAnUnreachableEndpointAsTransientShardUnavailable()
    {
        _provider.Server.Down[TestTopologies.Endpoint(3312)] = true;
        await using var shards = Build();
        var route = shards.Map.GetRoute(ShardDimension.User, 100);

        var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenAsync(route, ShardIntent.Write));

        Assert.Equal(ShardKitErrorCode.ShardUnavailable, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.Equal("user:100", ex.Shard);
        Assert.Contains("127.0.0.1:3312", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTopologies.Password, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildRefusesAnInvalidTopologyNamingTheEntry()
    {
        var options = TestTopologies.DevUp();
        options.Dimensions.User.Placement = [TestTopologies.Place("0-118", "c0")];

        var ex = Assert.Throws<ShardKitException>(() => Build(options));

        Assert.Equal(ShardKitErrorCode.InvalidTopology, ex.ErrorCode);
        Assert.Contains("user shard 119 is not mapped", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_provider.DataSources);
    }

    [Fact]
    public async Task RefusesAnUndefinedIntent()
    {
        await using var shards = Build();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await shards.OpenUserShardAsync(1, (ShardIntent)7));
    }

    [Fact]
    public async Task DisposedDataSourceRefusesToOpen()
    {
        var shards = Build();
        await shards.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await shards.OpenUserShardAsync(1, ShardIntent.Read));
    }

    internal static (long First, long Second) TwoUsersOnDifferentShards(ShardMap map)
    {
        var first = 1L;
        var second = Enumerable.Range(2, 1000).Select(i => (long)i).First(id => map.RouteUser(id).Shard != map.RouteUser(first).Shard);
        return (first, second);
    }
}

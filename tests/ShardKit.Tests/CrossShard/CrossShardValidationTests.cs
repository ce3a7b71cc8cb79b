using ShardKit.CrossShard;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.CrossShard;

/// <summary>Caller mistakes are refused with a message that names them, before anything is sent (the endpoints here do not exist).</summary>
public sealed class CrossShardValidationTests : IAsyncLifetime
{
    private static readonly byte[] s_key = new byte[32];
    private ShardKitDataSource _shards = null!;
    private CrossShardQueryExecutor _executor = null!;

    public Task InitializeAsync()
    {
        _shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp()).Build();
        _executor = new CrossShardQueryExecutor(_shards, new CrossShardOptions { TokenSigningKey = s_key });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    /// <summary>The built-in <c>orders</c> table, whose columns are known without a server.</summary>
    private TableShape Orders => TableShapes.Known(_shards.Map, _shards.Map.Tables.Root)!;

    [Theory]
    [InlineData("Columns")]
    [InlineData("OrderBy")]
    public async Task AnUnknownColumnIsNamedWithTheColumnsThatExist(string where)
    {
        var query = where == "Columns"
            ? new CrossShardQuery { Dimension = ShardDimension.User, Columns = ["order_id", "amount"] }
            : new CrossShardQuery { Dimension = ShardDimension.User, OrderBy = [CrossShardSort.DescendingBy("amount")] };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => _executor.QueryPageAsync<object>(query));

        Assert.Contains("'amount'", error.Message, StringComparison.Ordinal);
        Assert.Contains("total_amount", error.Message, StringComparison.Ordinal);
        Assert.Equal("query", error.ParamName);
    }

    [Fact]
    public async Task AnOffsetIsRefusedByDefaultPointingToKeysetPagination()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            _executor.QueryPageAsync<object>(new CrossShardQuery { Dimension = ShardDimension.User, Offset = 10_000 }));

        Assert.Contains("Offset 10000 is refused", error.Message, StringComparison.Ordinal);
        Assert.Contains("ContinuationToken", error.Message, StringComparison.Ordinal);
        Assert.Contains("keyset", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAllowedOffsetIsStillRefusedTogetherWithAContinuationToken()
    {
        var executor = new CrossShardQueryExecutor(_shards, new CrossShardOptions { TokenSigningKey = s_key, MaxOffset = 100 });
        var query = new CrossShardQuery { Dimension = ShardDimension.User, Offset = 20 };
        var plan = RowQueryPlan.Create(query, new CrossShardOptions { MaxOffset = 100 }, Orders);
        var token = ContinuationToken.Encode(plan.ShapeHash, plan.KeyKinds, [5L], s_key);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => executor.QueryPageAsync<object>(query, token));

        Assert.Contains("Offset 20 cannot be combined with a continuation token", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task APageSizeOutOfRangeIsRefused(int pageSize)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            _executor.QueryPageAsync<object>(new CrossShardQuery { Dimension = ShardDimension.User, PageSize = pageSize }));

        Assert.Contains($"PageSize {pageSize}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SortingByTheJsonColumnIsRefused()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            _executor.QueryPageAsync<object>(new CrossShardQuery { Dimension = ShardDimension.User, OrderBy = [CrossShardSort.Ascending("ext")] }));

        Assert.Contains("'ext'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CrossShardAggregateFunction.Sum, "status", "SUM(status)")]
    [InlineData(CrossShardAggregateFunction.Avg, "created_at", "AVG(created_at)")]
    [InlineData(CrossShardAggregateFunction.Min, "ext", "MIN(ext)")]
    [InlineData(CrossShardAggregateFunction.Max, "nope", "'nope'")]
    [InlineData(CrossShardAggregateFunction.Sum, null, "Sum needs a column")]
    public async Task AnAggregateThatDoesNotApplyToItsColumnIsRefused(CrossShardAggregateFunction function, string? column, string named)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _executor.AggregateAsync(new CrossShardAggregateQuery
        {
            Dimension = ShardDimension.Merchant,
            Aggregates = [new CrossShardAggregate(function, column)],
        }));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GroupingByAnUnknownColumnOrWithoutAggregatesIsRefused()
    {
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => _executor.AggregateAsync(new CrossShardAggregateQuery
        {
            Dimension = ShardDimension.User,
            GroupBy = ["state"],
            Aggregates = [CrossShardAggregate.Count()],
        }));
        var none = await Assert.ThrowsAsync<ArgumentException>(() => _executor.AggregateAsync(new CrossShardAggregateQuery
        {
            Dimension = ShardDimension.User,
            Aggregates = [],
        }));

        Assert.Contains("group column 'state'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("at least one", none.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { 120 }, "Shard 120 is not a user shard")]
    [InlineData(new[] { 3, 3 }, "Shard 3 is listed twice")]
    [InlineData(new int[0], "empty")]
    public async Task AShardListWithAShardOutOfRangeOrTwiceIsRefused(int[] shards, string message)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            _executor.QueryPageAsync<object>(new CrossShardQuery { Dimension = ShardDimension.User, Shards = shards }));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokenFromAQueryOfAnotherShapeIsRefused()
    {
        var byAmount = RowQueryPlan.Create(
            new CrossShardQuery { Dimension = ShardDimension.User, OrderBy = [CrossShardSort.DescendingBy("total_amount")] }, new CrossShardOptions(), Orders);
        var token = ContinuationToken.Encode(byAmount.ShapeHash, byAmount.KeyKinds, [10m, 5L], s_key);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => _executor.QueryPageAsync<object>(
            new CrossShardQuery { Dimension = ShardDimension.User, OrderBy = [CrossShardSort.Ascending("total_amount")] }, token));

        Assert.Contains("different query", error.Message, StringComparison.Ordinal);
        Assert.Equal("continuationToken", error.ParamName);
    }

    [Fact]
    public void OptionsOutOfRangeAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new CrossShardQueryExecutor(_shards, new CrossShardOptions { MaxConcurrentQueriesPerCluster = 0 }));
        Assert.Throws<ArgumentException>(() => new CrossShardQueryExecutor(_shards, new CrossShardOptions { TokenSigningKey = new byte[16] }));
        Assert.Throws<ArgumentException>(() => new CrossShardQueryExecutor(_shards, new CrossShardOptions { DefaultTimeout = TimeSpan.Zero }));
    }

    [Fact]
    public void EachClusterGetsOneStatementCoveringItsShardsSortedByTheKeyWithTheOrderIdLast()
    {
        var plan = RowQueryPlan.Create(new CrossShardQuery
        {
            Dimension = ShardDimension.User,
            Filter = "status = @status",
            OrderBy = [CrossShardSort.Ascending("status"), CrossShardSort.DescendingBy("created_at")],
            PageSize = 50,
        }, new CrossShardOptions(), Orders);
        var parts = ClusterPart.Resolve(_shards.Map, ShardDimension.User, [0, 1, 2, 61, 62], "query");

        var sql = plan.BuildSql(parts[0], seek: true);

        Assert.Equal(2, parts.Length);
        Assert.Equal(3, parts[0].Slots.Length);
        Assert.Equal(2, sql.Split("UNION ALL").Length - 1);
        Assert.Contains("`sk_user_002`.`orders`", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("sk_user_061", sql, StringComparison.Ordinal);
        Assert.EndsWith("ORDER BY sk_key0 ASC, sk_key1 DESC, sk_key2 DESC LIMIT 51", sql, StringComparison.Ordinal);
        Assert.Contains("CAST(`status` AS BINARY) > @sk_seek0", sql, StringComparison.Ordinal);
        Assert.Contains("CAST(`status` AS BINARY) = @sk_seek0 AND `created_at` = @sk_seek1 AND `order_id` < @sk_seek2", sql, StringComparison.Ordinal);
        Assert.Equal(["status", "created_at", "order_id"], plan.KeyColumns);
    }

    [Fact]
    public void NamesMissingShardsAsRanges()
    {
        var slots = new[] { 0, 1, 2, 5, 7, 8 }.Select(s => _shards.Map.GetRoute(ShardDimension.Merchant, s).Slot);

        Assert.Equal("merchant:0-2,5,7-8", ShardRanges.Describe(slots));
    }
}

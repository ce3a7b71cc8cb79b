using System.Collections.Concurrent;
using Dapper;

namespace ShardKit.IntegrationTests.CrossShard;

/// <summary>Keyset pagination over 120 real shards: complete, never repeating, and tokens that cannot be forged.</summary>
[Collection("CrossShard")]
public sealed class CrossShardPaginationTests(CrossShardFixture fixture) : IAsyncLifetime
{
    private static readonly CrossShardQuery s_byAmount = new()
    {
        Dimension = ShardDimension.User,
        Columns = ["order_id"],
        OrderBy = [CrossShardSort.DescendingBy("total_amount"), CrossShardSort.Ascending("status")],
        PageSize = 37,
    };

    private ShardKitDataSource _shards = null!;
    private CrossShardQueryExecutor _executor = null!;

    static CrossShardPaginationTests() =>
        SqlMapper.SetTypeMap(typeof(CrossShardOrderRow), new CustomPropertyTypeMap(
            typeof(CrossShardOrderRow),
            (type, column) => type.GetProperty(string.Concat(column.Split('_').Select(part => char.ToUpperInvariant(part[0]) + part[1..])))!));

    public Task InitializeAsync()
    {
        _shards = fixture.NewDataSource();
        _executor = new CrossShardQueryExecutor(_shards);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _shards.DisposeAsync();

    [Fact]
    public async Task PagingVisitsEveryRowExactlyOnceInOrderWithEveryColumnMapped()
    {
        var query = new CrossShardQuery
        {
            Dimension = ShardDimension.User,
            OrderBy = [CrossShardSort.Ascending("created_at")],
            PageSize = 53,
        };
        List<TestOrder> snapshot;
        lock (fixture.Rows)
        {
            snapshot = [.. fixture.Rows];
        }

        var seen = new List<CrossShardOrderRow>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await _executor.QueryPageAsync<CrossShardOrderRow>(query, token);
            Assert.InRange(page.Rows.Count, 1, 53);
            seen.AddRange(page.Rows);
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        var expected = snapshot.OrderBy(o => o.CreatedAt).ThenBy(o => o.OrderId).ToList();
        Assert.Equal(expected.Select(o => o.OrderId), seen.Select(r => r.OrderId));
        Assert.Equal((expected.Count + 52) / 53, pages);
        var first = expected[0];
        var row = seen[0];
        Assert.Equal(
            (first.UserId, first.MerchantId, first.Status, first.TotalAmount, first.Currency, first.CreatedAt, first.UpdatedAt, first.Version, first.Ext),
            (row.UserId, row.MerchantId, row.Status, row.TotalAmount, row.Currency, row.CreatedAt, row.UpdatedAt, row.Version, row.Ext));
    }

    [Fact]
    public async Task PagingWhileOrdersAreInsertedNeverRepeatsARowNorSkipsOneThatWasThereBefore()
    {
        List<long> before;
        lock (fixture.Rows)
        {
            before = fixture.Rows.Select(o => o.OrderId).ToList();
        }

        using var stop = new CancellationTokenSource();
        var inserted = new ConcurrentBag<long>();
        var writer = Task.Run(async () =>
        {
            var random = new Random(5);
            while (!stop.IsCancellationRequested)
            {
                var orders = TestOrder.Generate(random, _shards.Map, 5, fixture.NextIds(30));
                await fixture.InsertAsync(_shards, orders);
                foreach (var order in orders)
                {
                    inserted.Add(order.OrderId);
                }
            }
        });

        var seen = new List<long>();
        var keys = new List<(decimal Amount, string Status, long Id)>();
        string? token = null;
        try
        {
            do
            {
                var page = await _executor.QueryPageAsync<CrossShardOrderRow>(s_byAmount with { Columns = null }, token);
                seen.AddRange(page.Rows.Select(r => r.OrderId));
                keys.AddRange(page.Rows.Select(r => (r.TotalAmount, r.Status, r.OrderId)));
                token = page.ContinuationToken;
                await Task.Delay(5);
            }
            while (token is not null);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        Assert.False(inserted.IsEmpty, "the writer should have inserted orders while the pages were read");
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Empty(before.Except(seen));
        for (var i = 1; i < keys.Count; i++)
        {
            var (a, b) = (keys[i - 1], keys[i]);
            var inOrder = a.Amount > b.Amount
                || (a.Amount == b.Amount && string.CompareOrdinal(a.Status, b.Status) < 0)
                || (a.Amount == b.Amount && a.Status == b.Status && a.Id < b.Id);
            Assert.True(inOrder, $"rows {i - 1} and {i} are out of order: {a} then {b}");
        }
    }

    [Fact]
    public async Task AlteredTokensAndTokensOfAnotherQueryAreRejected()
    {
        var page = await _executor.QueryPageAsync<long>(s_byAmount);
        var token = page.ContinuationToken!;
        var altered = token[..10] + (token[10] == 'A' ? 'B' : 'A') + token[11..];

        var tampered = await Assert.ThrowsAsync<ArgumentException>(() => _executor.QueryPageAsync<long>(s_byAmount, altered));
        var otherShape = await Assert.ThrowsAsync<ArgumentException>(() =>
            _executor.QueryPageAsync<long>(s_byAmount with { Filter = "status = @s", Parameters = new { s = "paid" } }, token));
        var otherExecutor = await Assert.ThrowsAsync<ArgumentException>(() =>
            new CrossShardQueryExecutor(_shards).QueryPageAsync<long>(s_byAmount, token));
        var samePageSizeChanged = await _executor.QueryPageAsync<long>(s_byAmount with { PageSize = 5 }, token);

        Assert.Contains("altered", tampered.Message, StringComparison.Ordinal);
        Assert.Contains("different query", otherShape.Message, StringComparison.Ordinal);
        Assert.Contains("altered", otherExecutor.Message, StringComparison.Ordinal);
        Assert.Equal(5, samePageSizeChanged.Rows.Count);
        Assert.DoesNotContain(samePageSizeChanged.Rows[0], page.Rows);
    }

    [Fact]
    public async Task ExecutorsSharingASigningKeyAcceptEachOthersTokens()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();
        var first = new CrossShardQueryExecutor(_shards, new CrossShardOptions { TokenSigningKey = key });
        var second = new CrossShardQueryExecutor(_shards, new CrossShardOptions { TokenSigningKey = key });

        var page1 = await first.QueryPageAsync<long>(s_byAmount);
        var page2 = await second.QueryPageAsync<long>(s_byAmount, page1.ContinuationToken);
        var both = await first.QueryPageAsync<long>(s_byAmount with { PageSize = 74 });

        Assert.Equal(both.Rows, page1.Rows.Concat(page2.Rows));
    }
}

using ShardKit.CrossShard;

namespace ShardKit.Tests.CrossShard;

public sealed class KWayMergeTests
{
    [Fact]
    public async Task MergesSortedStreamsIntoOneOrderMatchingASortOfEverything()
    {
        var random = new Random(7);
        var descending = new[] { true, false };
        var comparer = new KeyComparer(descending);
        var all = Enumerable.Range(0, 300).Select(id => new object?[] { (long)random.Next(20), (long)id }).ToList();
        var sources = Enumerable.Range(0, 7)
            .Select(s => new ListSource(all.Where(k => (long)k[1]! % 7 == s).OrderBy(k => k, comparer).ToList()))
            .ToList();

        var merged = await KWayMerge.MergeAsync<string>(sources, comparer, skip: 0, take: 1000, CancellationToken.None);

        Assert.Equal(all.OrderBy(k => k, comparer).Select(k => string.Join("|", k)), merged.Rows);
        Assert.False(merged.More);
    }

    [Fact]
    public async Task TakesAPageTellsThatMoreFollowsAndReadsOnlyAPageAndARowPerStream()
    {
        var comparer = new KeyComparer([false]);
        var sources = Enumerable.Range(0, 10)
            .Select(s => new ListSource(Enumerable.Range(0, 1000).Select(i => new object?[] { (long)((i * 10) + s) }).ToList()))
            .ToList();

        var merged = await KWayMerge.MergeAsync<string>(sources, comparer, skip: 0, take: 25, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 25).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), merged.Rows);
        Assert.Equal(new object?[] { 24L }, merged.LastKey);
        Assert.True(merged.More);
        Assert.True(sources.Sum(s => s.Reads) <= 25 + sources.Count, $"read {sources.Sum(s => s.Reads)} rows for a page of 25 from 10 streams");
    }

    [Fact]
    public async Task SkipsTheOffsetWithoutKeepingTheSkippedRows()
    {
        var comparer = new KeyComparer([false]);
        var sources = new List<ListSource>
        {
            new([[1L], [4L], [5L]]),
            new([[2L], [3L], [6L]]),
        };

        var merged = await KWayMerge.MergeAsync<string>(sources, comparer, skip: 2, take: 3, CancellationToken.None);

        Assert.Equal(["3", "4", "5"], merged.Rows);
        Assert.True(merged.More);
    }

    [Fact]
    public async Task AnExactlyFullLastPageSaysNoMoreFollows()
    {
        var merged = await KWayMerge.MergeAsync<string>([new ListSource([[1L], [2L]]), new ListSource([])], new KeyComparer([false]), 0, 2, CancellationToken.None);

        Assert.Equal(["1", "2"], merged.Rows);
        Assert.False(merged.More);
    }

    [Fact]
    public void ComparesStringKeysByTheirUtf8BytesAndSortsNullFirst()
    {
        var comparer = new KeyComparer([false]);
        byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s);

        Assert.True(comparer.Compare([Utf8("Paid")], [Utf8("paid")]) < 0, "upper case sorts before lower case in binary order");
        Assert.True(comparer.Compare([Utf8("\uFFFD")], [Utf8("\U0001F600")]) < 0, "code point order, not UTF-16 order");
        Assert.True(comparer.Compare([null], [Utf8("a")]) < 0);
        Assert.True(new KeyComparer([true]).Compare([1.5m], [2m]) > 0);
        Assert.Equal(0, comparer.Compare([new DateTime(2026, 1, 1)], [new DateTime(2026, 1, 1)]));
    }
}

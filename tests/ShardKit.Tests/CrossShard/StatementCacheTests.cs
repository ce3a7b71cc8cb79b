using ShardKit.CrossShard;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.CrossShard;

public sealed class StatementCacheTests
{
    [Fact]
    public void BuildsAStatementOncePerKeyAndMapAndAgainAfterTheMapChanges()
    {
        var cache = new StatementCache();
        var map = ShardMap.Create(TestTopologies.DevUp());
        var reloaded = ShardMap.Create(TestTopologies.DevUp());
        var builds = 0;
        string Build(string key) => $"{key}:{++builds}";

        var first = cache.GetOrAdd(map, "a", "a", Build);
        var again = cache.GetOrAdd(map, "a", "a", Build);
        var other = cache.GetOrAdd(map, "b", "b", Build);
        var afterReload = cache.GetOrAdd(reloaded, "a", "a", Build);

        Assert.Same(first, again);
        Assert.Equal(["a:1", "b:2", "a:3"], [first, other, afterReload]);
    }

    [Fact]
    public void StartsOverWhenFull()
    {
        var cache = new StatementCache();
        var map = ShardMap.Create(TestTopologies.DevUp());
        var first = cache.GetOrAdd(map, "k0", 0, i => $"sql{i}");
        for (var i = 1; i < StatementCache.MaxEntries - 1; i++)
        {
            cache.GetOrAdd(map, $"k{i}", i, n => $"sql{n}");
        }

        Assert.Same(first, cache.GetOrAdd(map, "k0", -1, _ => "rebuilt"));
        cache.GetOrAdd(map, "one-more", 0, _ => "x");

        Assert.Equal("rebuilt", cache.GetOrAdd(map, "k0", -1, _ => "rebuilt"));
    }
}

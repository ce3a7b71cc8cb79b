using Microsoft.Extensions.Time.Testing;

namespace ShardKit.Tests.AlternateKeys;

public sealed class MappingCacheTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void NeverHoldsMoreThanItsCapacityAndEvictsTheLeastRecentlyUsed()
    {
        var cache = new MappingCache(3, TimeSpan.FromMinutes(5), _clock);
        for (var i = 1; i <= 3; i++)
        {
            cache.Set(Mapping(i));
        }

        Assert.True(cache.TryGet(Key(1), out _)); // 1 is now the most recently used; 2 is the least
        cache.Set(Mapping(4));
        cache.Set(Mapping(5));

        Assert.Equal(3, cache.Count);
        Assert.True(cache.TryGet(Key(1), out _));
        Assert.False(cache.TryGet(Key(2), out _));
        Assert.False(cache.TryGet(Key(3), out _));
        Assert.True(cache.TryGet(Key(5), out var mapping));
        Assert.Equal(5, mapping!.Target.UserId);
    }

    [Fact]
    public void StaysWithinCapacityUnderConcurrentUse()
    {
        var cache = new MappingCache(50, TimeSpan.FromMinutes(5), _clock);

        Parallel.For(0, 10_000, i =>
        {
            cache.Set(Mapping((i % 500) + 1));
            cache.TryGet(Key(((i * 7) % 500) + 1), out _);
            Assert.InRange(cache.Count, 0, 50);
        });

        Assert.Equal(50, cache.Count);
    }

    [Fact]
    public void AnEntryOlderThanTheDurationIsAMiss()
    {
        var cache = new MappingCache(10, TimeSpan.FromMinutes(5), _clock);
        cache.Set(Mapping(1));

        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.True(cache.TryGet(Key(1), out _));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(cache.TryGet(Key(1), out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void RemoveDropsTheEntryAndSetReplacesIt()
    {
        var cache = new MappingCache(10, TimeSpan.FromMinutes(5), _clock);
        cache.Set(Mapping(1));
        cache.Set(new AlternateKeyMapping(Key(1), new AlternateKeyTarget(99), _clock.GetUtcNow()));

        Assert.True(cache.TryGet(Key(1), out var replaced));
        Assert.Equal(99, replaced!.Target.UserId);
        cache.Remove(Key(1));
        Assert.False(cache.TryGet(Key(1), out _));
    }

    [Fact]
    public void ACapacityOfZeroCachesNothing()
    {
        var cache = new MappingCache(0, TimeSpan.FromMinutes(5), _clock);
        cache.Set(Mapping(1));

        Assert.False(cache.TryGet(Key(1), out _));
        Assert.Equal(0, cache.Count);
    }

    private static AlternateKey Key(int i) => new("trade-no", "T-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private AlternateKeyMapping Mapping(int i) => new(Key(i), new AlternateKeyTarget(i), _clock.GetUtcNow());
}

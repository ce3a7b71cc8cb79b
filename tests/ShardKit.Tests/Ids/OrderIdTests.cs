using System.Text;
using Microsoft.Extensions.Time.Testing;
using ShardKit.Ids;

namespace ShardKit.Tests.Ids;

public sealed class OrderIdTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void DecodesEveryFieldFromTheDocumentedBitPositions()
    {
        // 2026-11-21T12:00:00.37Z, worker 201, sequence 5, user gene 17, merchant gene 119 — composed by hand from the documented layout.
        var tick = (long)(s_now.AddMilliseconds(370) - new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)).TotalMilliseconds / 10;
        var value = (tick << 25) | (201L << 17) | (5L << 14) | (17L << 7) | 119L;

        var id = OrderId.Parse(value, 120, new FakeTimeProvider(s_now));

        Assert.Equal(value, id.Value);
        Assert.Equal(s_now.AddMilliseconds(370), id.Timestamp);
        Assert.Equal(201, id.WorkerId);
        Assert.Equal(5, id.Sequence);
        Assert.Equal(17, id.UserShard);
        Assert.Equal(119, id.MerchantShard);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public void RejectsZeroAndNegativeNumbers(long value)
    {
        var error = Assert.Throws<ShardKitException>(() => OrderId.Parse(value));
        Assert.Equal(ShardKitErrorCode.InvalidOrderId, error.ErrorCode);
        Assert.Contains("positive", error.Message, StringComparison.Ordinal);
        Assert.False(OrderId.TryParse(value, out var id));
        Assert.Equal(default, id);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(123_456_789L)]
    [InlineData(98_765_432_101_234L)]
    [InlineData(OrderIdLayout.MinValidValue - 1)]
    public void RejectsLegacyAutoIncrementIdsAsBefore2025January2(long value)
    {
        var error = Assert.Throws<ShardKitException>(() => OrderId.Parse(value));
        Assert.Equal(ShardKitErrorCode.InvalidOrderId, error.ErrorCode);
        Assert.Contains($"{value} is not a ShardKit order ID", error.Message, StringComparison.Ordinal);
        Assert.Contains("before 2025-01-02T00:00:00Z", error.Message, StringComparison.Ordinal);
        Assert.False(OrderId.TryParse(value, out _));
    }

    [Fact]
    public void AcceptsTheFirstValueOf2025January2()
    {
        Assert.Equal(289_910_292_480_000L, OrderIdLayout.MinValidValue);
        var id = OrderId.Parse(OrderIdLayout.MinValidValue);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero), id.Timestamp);
    }

    [Fact]
    public void RejectsATimeMoreThanOneDayAheadOfTheClock()
    {
        var clock = new FakeTimeProvider(s_now);
        var justInside = Value(s_now.AddDays(1), userGene: 3, merchantGene: 4);
        var justOutside = Value(s_now.AddDays(1).AddMilliseconds(10), userGene: 3, merchantGene: 4);

        Assert.Equal(justInside, OrderId.Parse(justInside, 120, clock).Value);
        var error = Assert.Throws<ShardKitException>(() => OrderId.Parse(justOutside, 120, clock));
        Assert.Equal(ShardKitErrorCode.InvalidOrderId, error.ErrorCode);
        Assert.Contains("more than 1 day after the current time 2026-11-21T12:00:00.00Z", error.Message, StringComparison.Ordinal);
        Assert.False(OrderId.TryParse(justOutside, 120, clock, out _));
    }

    [Fact]
    public void RejectsATimeMoreThanOneDayAheadOfTheSystemClockByDefault()
    {
        var tomorrowAndAMinute = Value(DateTimeOffset.UtcNow.AddDays(1).AddMinutes(1), userGene: 3, merchantGene: 4);
        var anHourAgo = Value(DateTimeOffset.UtcNow.AddHours(-1), userGene: 3, merchantGene: 4);

        Assert.True(OrderId.TryParse(anHourAgo, out _));
        var error = Assert.Throws<ShardKitException>(() => OrderId.Parse(tomorrowAndAMinute));
        Assert.Contains("more than 1 day after the current time", error.Message, StringComparison.Ordinal);
        Assert.False(OrderId.TryParse(tomorrowAndAMinute, out _));
    }

    [Theory]
    [InlineData(120, 0, "user-shard gene is 120, but there are only 120 user shards (0..119)")]
    [InlineData(0, 127, "merchant-shard gene is 127, but there are only 120 merchant shards (0..119)")]
    public void RejectsGenesAtOrAbove120ByDefault(int userGene, int merchantGene, string reason)
    {
        var value = Value(s_now, userGene, merchantGene);

        var error = Assert.Throws<ShardKitException>(() => OrderId.Parse(value));
        Assert.Equal(ShardKitErrorCode.InvalidOrderId, error.ErrorCode);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.False(OrderId.TryParse(value, out _));
        Assert.Equal(value, OrderId.Parse(value, 128).Value);
    }

    [Fact]
    public void ChecksGenesAgainstTheGivenShardCount()
    {
        var value = Value(s_now, userGene: 15, merchantGene: 3);

        Assert.Equal(15, OrderId.Parse(value, 16).UserShard);
        var error = Assert.Throws<ShardKitException>(() => OrderId.Parse(value, 15));
        Assert.Contains("only 15 user shards", error.Message, StringComparison.Ordinal);
        Assert.False(OrderId.TryParse(value, 15, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => OrderId.Parse(value, 129));
        Assert.Throws<ArgumentOutOfRangeException>(() => OrderId.TryParse(value, 0, out _));
    }

    [Fact]
    public void ParsesDecimalText()
    {
        var value = Value(s_now, userGene: 9, merchantGene: 99);

        Assert.Equal(value, OrderId.Parse(value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Value);
        Assert.True(OrderId.TryParse(value.ToString(System.Globalization.CultureInfo.InvariantCulture), out var id));
        Assert.Equal(99, id.MerchantShard);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData(" 1")]
    [InlineData("-5")]
    [InlineData("1e20")]
    [InlineData("99999999999999999999")]
    public void RejectsTextThatIsNotAPositiveDecimalNumber(string text)
    {
        var error = Assert.Throws<ShardKitException>(() => OrderId.Parse(text));
        Assert.Equal(ShardKitErrorCode.InvalidOrderId, error.ErrorCode);
        Assert.Contains("not a positive decimal number", error.Message, StringComparison.Ordinal);
        Assert.False(OrderId.TryParse(text, out _));
    }

    [Fact]
    public void RejectsNullTextWithArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => OrderId.Parse(null!));
        Assert.False(OrderId.TryParse((string?)null, out _));
    }

    [Fact]
    public void ParsesThroughTheGenericParsableInterface()
    {
        var value = Value(s_now.AddDays(-3), userGene: 1, merchantGene: 2);
        Assert.Equal(value, ParseGeneric<OrderId>(value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Value);
        Assert.Throws<ShardKitException>(() => ParseGeneric<OrderId>("12"));
    }

    [Fact]
    public void FormatsAsTheDecimalValueInTextAndUtf8()
    {
        var value = Value(s_now, userGene: 5, merchantGene: 6);
        var id = OrderId.Parse(value);
        var text = value.ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(text, id.ToString());
        Assert.Equal(text, $"{id}");
        Span<byte> utf8 = stackalloc byte[32];
        Assert.True(id.TryFormat(utf8, out var written, default, null));
        Assert.Equal(text, Encoding.UTF8.GetString(utf8[..written]));
        Assert.False(id.TryFormat(stackalloc char[4], out _, default, null));
    }

    [Fact]
    public void ComparesByTimeFirst()
    {
        var earlier = OrderId.Parse(Value(s_now, userGene: 119, merchantGene: 119));
        var later = OrderId.Parse(Value(s_now.AddMilliseconds(10), userGene: 0, merchantGene: 0));

        Assert.True(earlier < later);
        Assert.True(later >= earlier);
        Assert.True(earlier.CompareTo(later) < 0);
        Assert.NotEqual(earlier, later);
        Assert.Equal(earlier, OrderId.Parse(earlier.Value));
        Assert.True(earlier == OrderId.Parse(earlier.Value));
        Assert.Equal(earlier.GetHashCode(), OrderId.Parse(earlier.Value).GetHashCode());
    }

    private static T ParseGeneric<T>(string text)
        where T : IParsable<T> => T.Parse(text, null);

    private static long Value(DateTimeOffset time, int userGene, int merchantGene) =>
        OrderIdLayout.Compose(OrderIdLayout.TickOf(time), workerId: 7, sequence: 0, userGene, merchantGene);
}

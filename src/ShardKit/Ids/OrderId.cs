using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ShardKit.Ids;

/// <summary>
/// A ShardKit order ID: a positive 64-bit number that is time-ordered and carries the user-shard and
/// merchant-shard genes of its order, so a request can be routed by order ID without a lookup.
/// </summary>
/// <remarks>
/// <para>Bit layout (most significant first, after the always-zero sign bit):</para>
/// <list type="table">
/// <item><term>38 bits</term><description>time, in 10 ms ticks since 2025-01-01T00:00:00Z (range to about 2112)</description></item>
/// <item><term>8 bits</term><description>worker ID of the generator instance (0..255)</description></item>
/// <item><term>3 bits</term><description>sequence within (tick, worker, gene pair) (0..7)</description></item>
/// <item><term>7 bits</term><description>user-shard gene: <see cref="ShardFunctions.UserShard"/> of the order's user</description></item>
/// <item><term>7 bits</term><description>merchant-shard gene: <see cref="ShardFunctions.MerchantShard"/> of the order's merchant</description></item>
/// </list>
/// <para>
/// Instances come from <see cref="OrderIdGenerator"/> or from <c>Parse</c>/<c>TryParse</c>, which reject numbers that are
/// not ShardKit order IDs: zero or negative; a time before 2025-01-02 (so every legacy auto-increment ID below
/// about 2.9e14 is refused) or more than one day ahead of the clock; a gene not below the shard count.
/// <c>default(OrderId)</c> has <see cref="Value"/> 0 and is not a valid ID.
/// </para>
/// </remarks>
public readonly struct OrderId : IEquatable<OrderId>, IComparable<OrderId>, IComparable, ISpanFormattable, IUtf8SpanFormattable, ISpanParsable<OrderId>
{
    // Upper bound (in ticks) of "now + 1 day" seen on the system clock; an ID at or below it is certainly not
    // too far in the future, so the common case needs no clock read. Refreshed when an ID is above it.
    private static long s_systemFutureLimitTick;

    private OrderId(long value)
    {
        Value = value;
    }

    /// <summary>The 64-bit value, as stored in the database.</summary>
    public long Value { get; }

    /// <summary>The user shard the order lives on (0..127, below the shard count it was generated with).</summary>
    public int UserShard => (int)((Value >> OrderIdLayout.UserGeneShift) & OrderIdLayout.GeneMask);

    /// <summary>The merchant shard the order lives on (0..127, below the shard count it was generated with).</summary>
    public int MerchantShard => (int)((Value >> OrderIdLayout.MerchantGeneShift) & OrderIdLayout.GeneMask);

    /// <summary>When the ID was generated, truncated to 10 ms, in UTC.</summary>
    public DateTimeOffset Timestamp => OrderIdLayout.TimeOfTick(Value >> OrderIdLayout.TickShift);

    /// <summary>The worker ID (0..255) of the generator instance that issued the ID.</summary>
    public int WorkerId => (int)((Value >> OrderIdLayout.WorkerShift) & OrderIdLayout.WorkerMask);

    /// <summary>The sequence number (0..7) within the ID's 10 ms tick, worker and gene pair.</summary>
    public int Sequence => (int)((Value >> OrderIdLayout.SequenceShift) & OrderIdLayout.SequenceMask);

    /// <summary>Decodes <paramref name="value"/> as an order ID generated for 120 shards per dimension.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidOrderId"/>: the number is not a ShardKit order ID; the message says why.</exception>
    public static OrderId Parse(long value) => Parse(value, OrderIdLayout.DefaultShardCount);

    /// <summary>Decodes <paramref name="value"/> as an order ID generated for <paramref name="shardCount"/> shards per dimension.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidOrderId"/>: the number is not a ShardKit order ID; the message says why.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is outside 1..128.</exception>
    public static OrderId Parse(long value, int shardCount)
    {
        ShardFunctions.ValidateShardCount(shardCount);
        return IsValid(value, shardCount) ? new OrderId(value) : throw Invalid(value, shardCount, TimeProvider.System);
    }

    /// <summary>Decodes <paramref name="value"/>, judging "too far in the future" by <paramref name="timeProvider"/>.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidOrderId"/>: the number is not a ShardKit order ID; the message says why.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is outside 1..128.</exception>
    public static OrderId Parse(long value, int shardCount, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ShardFunctions.ValidateShardCount(shardCount);
        return Reason(value, shardCount, timeProvider) is null ? new OrderId(value) : throw Invalid(value, shardCount, timeProvider);
    }

    /// <summary>Decodes <paramref name="value"/> as an order ID for 120 shards per dimension; returns <see langword="false"/> if it is not one.</summary>
    public static bool TryParse(long value, out OrderId id) => TryParse(value, OrderIdLayout.DefaultShardCount, out id);

    /// <summary>Decodes <paramref name="value"/> as an order ID for <paramref name="shardCount"/> shards per dimension; returns <see langword="false"/> if it is not one.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is outside 1..128.</exception>
    public static bool TryParse(long value, int shardCount, out OrderId id)
    {
        ShardFunctions.ValidateShardCount(shardCount);
        id = IsValid(value, shardCount) ? new OrderId(value) : default;
        return id.Value != 0;
    }

    /// <summary>Decodes <paramref name="value"/>, judging "too far in the future" by <paramref name="timeProvider"/>; returns <see langword="false"/> if it is not an order ID.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is outside 1..128.</exception>
    public static bool TryParse(long value, int shardCount, TimeProvider timeProvider, out OrderId id)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ShardFunctions.ValidateShardCount(shardCount);
        id = Reason(value, shardCount, timeProvider) is null ? new OrderId(value) : default;
        return id.Value != 0;
    }

    /// <summary>Decodes a decimal string as an order ID for 120 shards per dimension.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="s"/> is null.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidOrderId"/>: the text is not a ShardKit order ID; the message says why.</exception>
    public static OrderId Parse(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Parse(s.AsSpan(), OrderIdLayout.DefaultShardCount);
    }

    /// <summary>Decodes a decimal string as an order ID for <paramref name="shardCount"/> shards per dimension.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="s"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is outside 1..128.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.InvalidOrderId"/>: the text is not a ShardKit order ID; the message says why.</exception>
    public static OrderId Parse(string s, int shardCount)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Parse(s.AsSpan(), shardCount);
    }

    /// <summary>Decodes a decimal string as an order ID for 120 shards per dimension; returns <see langword="false"/> if it is not one.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, out OrderId id) => TryParse(s.AsSpan(), OrderIdLayout.DefaultShardCount, out id);

    /// <summary>Decodes a decimal string as an order ID for <paramref name="shardCount"/> shards per dimension; returns <see langword="false"/> if it is not one.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is outside 1..128.</exception>
    public static bool TryParse([NotNullWhen(true)] string? s, int shardCount, out OrderId id) => TryParse(s.AsSpan(), shardCount, out id);

    static OrderId IParsable<OrderId>.Parse(string s, IFormatProvider? provider) => Parse(s);

    static bool IParsable<OrderId>.TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out OrderId result) => TryParse(s, out result);

    static OrderId ISpanParsable<OrderId>.Parse(ReadOnlySpan<char> s, IFormatProvider? provider) => Parse(s, OrderIdLayout.DefaultShardCount);

    static bool ISpanParsable<OrderId>.TryParse(ReadOnlySpan<char> s, IFormatProvider? provider, out OrderId result) => TryParse(s, OrderIdLayout.DefaultShardCount, out result);

    /// <summary>Compares by value, which orders IDs by time (10 ms resolution), then worker, sequence and genes.</summary>
    public int CompareTo(OrderId other) => Value.CompareTo(other.Value);

    /// <inheritdoc/>
    public int CompareTo(object? obj) => obj switch
    {
        null => 1,
        OrderId other => CompareTo(other),
        _ => throw new ArgumentException($"Cannot compare an {nameof(OrderId)} with a {obj.GetType().Name}.", nameof(obj)),
    };

    /// <inheritdoc/>
    public bool Equals(OrderId other) => Value == other.Value;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is OrderId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Value.GetHashCode();

    /// <summary>The value in decimal.</summary>
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Formats the value like <see cref="long.ToString(string?, IFormatProvider?)"/>.</summary>
    public string ToString(string? format, IFormatProvider? formatProvider) => Value.ToString(format, formatProvider ?? CultureInfo.InvariantCulture);

    /// <summary>Formats the value into <paramref name="destination"/> like <see cref="long.TryFormat(Span{char}, out int, ReadOnlySpan{char}, IFormatProvider?)"/>.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        Value.TryFormat(destination, out charsWritten, format, provider ?? CultureInfo.InvariantCulture);

    /// <summary>Formats the value as UTF-8 into <paramref name="utf8Destination"/>.</summary>
    public bool TryFormat(Span<byte> utf8Destination, out int bytesWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        Value.TryFormat(utf8Destination, out bytesWritten, format, provider ?? CultureInfo.InvariantCulture);

    /// <summary>Whether two IDs are the same.</summary>
    public static bool operator ==(OrderId left, OrderId right) => left.Equals(right);

    /// <summary>Whether two IDs differ.</summary>
    public static bool operator !=(OrderId left, OrderId right) => !left.Equals(right);

    /// <summary>Whether <paramref name="left"/> sorts before <paramref name="right"/>.</summary>
    public static bool operator <(OrderId left, OrderId right) => left.Value < right.Value;

    /// <summary>Whether <paramref name="left"/> sorts before or equals <paramref name="right"/>.</summary>
    public static bool operator <=(OrderId left, OrderId right) => left.Value <= right.Value;

    /// <summary>Whether <paramref name="left"/> sorts after <paramref name="right"/>.</summary>
    public static bool operator >(OrderId left, OrderId right) => left.Value > right.Value;

    /// <summary>Whether <paramref name="left"/> sorts after or equals <paramref name="right"/>.</summary>
    public static bool operator >=(OrderId left, OrderId right) => left.Value >= right.Value;

    internal static OrderId FromValidatedValue(long value) => new(value);

    private static OrderId Parse(ReadOnlySpan<char> s, int shardCount)
    {
        ShardFunctions.ValidateShardCount(shardCount);
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new ShardKitException(ShardKitErrorCode.InvalidOrderId, $"'{Truncate(s)}' is not a ShardKit order ID: it is not a positive decimal number that fits in 64 bits.");
        }

        return Parse(value, shardCount);
    }

    private static bool TryParse(ReadOnlySpan<char> s, int shardCount, out OrderId id)
    {
        ShardFunctions.ValidateShardCount(shardCount);
        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            id = default;
            return false;
        }

        return TryParse(value, shardCount, out id);
    }

    // The allocation-free check used on the routing path; Reason() repeats it to explain a failure.
    private static bool IsValid(long value, int shardCount)
    {
        if (value < OrderIdLayout.MinValidValue)
        {
            return false;
        }

        if (((value >> OrderIdLayout.UserGeneShift) & OrderIdLayout.GeneMask) >= shardCount
            || ((value >> OrderIdLayout.MerchantGeneShift) & OrderIdLayout.GeneMask) >= shardCount)
        {
            return false;
        }

        var tick = value >> OrderIdLayout.TickShift;
        if (tick <= Volatile.Read(ref s_systemFutureLimitTick))
        {
            return true;
        }

        var limit = FutureLimitTick(TimeProvider.System);
        Volatile.Write(ref s_systemFutureLimitTick, limit);
        return tick <= limit;
    }

    private static long FutureLimitTick(TimeProvider timeProvider) => OrderIdLayout.TickOf(timeProvider.GetUtcNow() + OrderIdLayout.MaxFutureSkew);

    /// <summary>Returns why <paramref name="value"/> is not an order ID, or <see langword="null"/> if it is one.</summary>
    internal static string? Reason(long value, int shardCount, TimeProvider timeProvider)
    {
        if (value <= 0)
        {
            return "order IDs are positive";
        }

        var tick = value >> OrderIdLayout.TickShift;
        if (tick < OrderIdLayout.MinValidTick)
        {
            return $"its time would be {Iso(OrderIdLayout.TimeOfTick(tick))}, before 2025-01-02T00:00:00Z (every number below {OrderIdLayout.MinValidValue} is refused; legacy auto-increment IDs go through the ID mapping)";
        }

        var now = timeProvider.GetUtcNow();
        if (tick > OrderIdLayout.TickOf(now + OrderIdLayout.MaxFutureSkew))
        {
            return $"its time would be {Iso(OrderIdLayout.TimeOfTick(tick))}, more than 1 day after the current time {Iso(now)}";
        }

        var userGene = (value >> OrderIdLayout.UserGeneShift) & OrderIdLayout.GeneMask;
        if (userGene >= shardCount)
        {
            return $"its user-shard gene is {userGene}, but there are only {shardCount} user shards (0..{shardCount - 1})";
        }

        var merchantGene = (value >> OrderIdLayout.MerchantGeneShift) & OrderIdLayout.GeneMask;
        if (merchantGene >= shardCount)
        {
            return $"its merchant-shard gene is {merchantGene}, but there are only {shardCount} merchant shards (0..{shardCount - 1})";
        }

        return null;
    }

    private static ShardKitException Invalid(long value, int shardCount, TimeProvider timeProvider) =>
        new(ShardKitErrorCode.InvalidOrderId, $"{value} is not a ShardKit order ID: {Reason(value, shardCount, timeProvider) ?? "it was refused"}.");

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffZ", CultureInfo.InvariantCulture);

    private static string Truncate(ReadOnlySpan<char> s) => s.Length <= 40 ? s.ToString() : string.Concat(s[..40], "…");
}

namespace ShardKit.CrossShard;

/// <summary>
/// Compares sort keys (arrays of <see cref="long"/>, <see cref="decimal"/>, <see cref="double"/>, <see cref="DateTime"/>,
/// <see cref="TimeSpan"/> or UTF-8
/// <see cref="byte"/> arrays, nulls first as MariaDB sorts them ascending) position by position, each in its direction.
/// Agrees with how the server orders the same key expressions, so merged server streams stay in order.
/// </summary>
internal sealed class KeyComparer : IComparer<object?[]>
{
    private readonly bool[] _descending;

    public KeyComparer(bool[] descending)
    {
        _descending = descending;
    }

    public int Compare(object?[]? x, object?[]? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        for (var i = 0; i < _descending.Length; i++)
        {
            var c = CompareValues(x[i], y[i]);
            if (c != 0)
            {
                return _descending[i] ? -c : c;
            }
        }

        return 0;
    }

    /// <summary>Ascending comparison of two key values of the same kind; null sorts first.</summary>
    public static int CompareValues(object? a, object? b) => (a, b) switch
    {
        (null, null) => 0,
        (null, _) => -1,
        (_, null) => 1,
        (long l, long r) => l.CompareTo(r),
        (decimal l, decimal r) => l.CompareTo(r),
        (double l, double r) => l.CompareTo(r),
        (DateTime l, DateTime r) => l.Ticks.CompareTo(r.Ticks),
        (TimeSpan l, TimeSpan r) => l.CompareTo(r),
        (byte[] l, byte[] r) => l.AsSpan().SequenceCompareTo(r),
        _ => throw new InvalidOperationException($"Cannot compare key values of types {a.GetType().Name} and {b.GetType().Name}."),
    };
}

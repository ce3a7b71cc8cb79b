namespace ShardKit.CrossShard;

/// <summary>Equality of GROUP BY keys: value equality per position, byte arrays (string keys) by content.</summary>
internal sealed class GroupKeyComparer : IEqualityComparer<object?[]>
{
    public static readonly GroupKeyComparer Instance = new();

    public bool Equals(object?[]? x, object?[]? y)
    {
        if (x is null || y is null)
        {
            return ReferenceEquals(x, y);
        }

        for (var i = 0; i < x.Length; i++)
        {
            var equal = (x[i], y[i]) switch
            {
                (null, null) => true,
                (byte[] l, byte[] r) => l.AsSpan().SequenceEqual(r),
                var (l, r) => l is not null && l.Equals(r),
            };
            if (!equal)
            {
                return false;
            }
        }

        return true;
    }

    public int GetHashCode(object?[] obj)
    {
        var hash = default(HashCode);
        foreach (var value in obj)
        {
            if (value is byte[] bytes)
            {
                hash.AddBytes(bytes);
            }
            else
            {
                hash.Add(value);
            }
        }

        return hash.ToHashCode();
    }
}

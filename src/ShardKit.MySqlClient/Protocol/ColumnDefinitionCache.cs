namespace ShardKit.MySqlClient.Protocol;

/// <summary>
/// Remembers the column definitions of a session's last result set by their raw bytes, so a statement that runs
/// again (the common case) reuses the parsed definitions, their name strings and the array holding them instead
/// of allocating new ones. A session runs one result set at a time, so the array is reused only once the
/// previous result set is finished.
/// </summary>
internal sealed class ColumnDefinitionCache
{
    private const int MaxColumns = 64;
    private const int MaxDefinitionLength = 512;

    private readonly byte[]?[] _raw = new byte[MaxColumns][];
    private readonly ColumnDefinition?[] _parsed = new ColumnDefinition[MaxColumns];
    private ColumnDefinition[] _array = [];

    /// <summary>An array for a result set of <paramref name="count"/> columns (the previous one when the count matches).</summary>
    public ColumnDefinition[] RentArray(int count)
    {
        if (_array.Length != count)
        {
            _array = new ColumnDefinition[count];
        }

        return _array;
    }

    /// <summary>Parses (or reuses) the definition of column <paramref name="index"/>.</summary>
    public ColumnDefinition Get(int index, ReadOnlySpan<byte> payload)
    {
        if (index < MaxColumns && _raw[index] is { } raw && payload.SequenceEqual(raw))
        {
            return _parsed[index]!;
        }

        var definition = ColumnDefinition.Parse(payload);
        if (index < MaxColumns && payload.Length <= MaxDefinitionLength)
        {
            _raw[index] = payload.ToArray();
            _parsed[index] = definition;
        }

        return definition;
    }
}

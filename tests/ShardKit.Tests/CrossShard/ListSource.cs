using ShardKit.CrossShard;

namespace ShardKit.Tests.CrossShard;

/// <summary>An in-memory merge source over rows already in key order; counts how many rows were read from it.</summary>
internal sealed class ListSource(IReadOnlyList<object?[]> keys) : IMergeSource<string>
{
    private int _position = -1;

    public int Reads { get; private set; }

    public object?[] Key => keys[_position];

    public string Row => string.Join("|", keys[_position]);

    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        if (_position + 1 >= keys.Count)
        {
            return ValueTask.FromResult(false);
        }

        _position++;
        Reads++;
        return ValueTask.FromResult(true);
    }
}

namespace ShardKit.CrossShard;

/// <summary>A stream of rows in sort-key order (one cluster's answer), consumed by <see cref="KWayMerge"/>.</summary>
/// <typeparam name="T">The row type.</typeparam>
internal interface IMergeSource<T>
{
    /// <summary>The sort key of the current row.</summary>
    object?[] Key { get; }

    /// <summary>The current row.</summary>
    T Row { get; }

    /// <summary>Moves to the next row; false at the end of the stream.</summary>
    ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken);
}

namespace ShardKit.CrossShard;

/// <summary>
/// Merges streams that are each sorted by the same key into one sorted sequence, holding one row per stream
/// (a priority queue over the streams' current rows): memory is the page plus one row per stream, whatever the offset.
/// </summary>
internal static class KWayMerge
{
    /// <summary>Skips <paramref name="skip"/> rows, then takes up to <paramref name="take"/>, and tells whether a row follows.</summary>
    public static async Task<MergeResult<T>> MergeAsync<T>(
        IReadOnlyList<IMergeSource<T>> sources, IComparer<object?[]> comparer, int skip, int take, CancellationToken cancellationToken)
    {
        var queue = new PriorityQueue<IMergeSource<T>, object?[]>(sources.Count, comparer);
        foreach (var source in sources)
        {
            if (await source.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                queue.Enqueue(source, source.Key);
            }
        }

        var rows = new List<T>(Math.Min(take, 1024));
        object?[]? lastKey = null;
        var skipped = 0;
        while (rows.Count < take && queue.TryDequeue(out var source, out var key))
        {
            if (skipped < skip)
            {
                skipped++;
            }
            else
            {
                rows.Add(source.Row);
                lastKey = key;
            }

            if (await source.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                queue.Enqueue(source, source.Key);
            }
        }

        return new MergeResult<T>(rows, lastKey, queue.Count > 0);
    }
}

using System.Collections.Concurrent;

namespace ShardKit.CrossShard;

/// <summary>
/// The generated statements of recent query shapes, per cluster, for the current map: a statement names every shard
/// of its cluster (kilobytes of SQL), so repeating a query does not rebuild it. Emptied when the map changes, and
/// when it holds <see cref="MaxEntries"/> statements.
/// </summary>
internal sealed class StatementCache
{
    public const int MaxEntries = 1024;

    private volatile Entries _entries = new(null);

    /// <summary>The statement cached for <paramref name="key"/> on <paramref name="map"/>, built by <paramref name="build"/> on a miss.</summary>
    public string GetOrAdd<TState>(ShardMap map, string key, TState state, Func<TState, string> build)
    {
        var entries = _entries;
        if (!ReferenceEquals(entries.Map, map) || entries.Statements.Count >= MaxEntries)
        {
            entries = new Entries(map);
            _entries = entries;
        }

        if (entries.Statements.TryGetValue(key, out var sql))
        {
            return sql;
        }

        sql = build(state);
        entries.Statements.TryAdd(key, sql);
        return sql;
    }

    private sealed class Entries(ShardMap? map)
    {
        public ShardMap? Map { get; } = map;

        public ConcurrentDictionary<string, string> Statements { get; } = new(StringComparer.Ordinal);
    }
}

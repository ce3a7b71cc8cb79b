namespace ShardKit.Replication;

/// <summary>
/// A "read your own writes" scope for one request, from <see cref="ShardKitDataSource.ReadYourWrites"/>. While it is open
/// on an async flow, every write committed on that flow through the data source records its <see cref="CausalToken"/>
/// here (the latest per cluster), and every replica read on the flow without its own token uses the latest token of its
/// cluster, so it sees those writes. Dispose it at the end of the request. A scope opened inside another also records
/// into the outer one.
/// </summary>
public sealed class ReadYourWritesScope : IDisposable
{
    private readonly Action<ReadYourWritesScope> _onDispose;
    private readonly Dictionary<string, CausalToken> _latest = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();
    private bool _disposed;

    internal ReadYourWritesScope(ReadYourWritesScope? parent, Action<ReadYourWritesScope> onDispose)
    {
        Parent = parent;
        _onDispose = onDispose;
        if (parent is not null)
        {
            foreach (var token in parent.Tokens)
            {
                _latest[token.Cluster] = token;
            }
        }
    }

    /// <summary>The latest token of each cluster written to in this scope (and, for a nested scope, before it).</summary>
    public IReadOnlyList<CausalToken> Tokens
    {
        get
        {
            lock (_lock)
            {
                return _latest.Values.ToList();
            }
        }
    }

    internal ReadYourWritesScope? Parent { get; }

    internal bool IsDisposed => Volatile.Read(ref _disposed);

    /// <summary>The latest token of <paramref name="cluster"/>, or null when the scope has seen no write there.</summary>
    /// <param name="cluster">The cluster name.</param>
    public CausalToken? GetToken(string cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        lock (_lock)
        {
            return _latest.GetValueOrDefault(cluster);
        }
    }

    /// <summary>Adds a token received from elsewhere (for example from the previous request of the same user, as text).</summary>
    /// <param name="token">The token; it replaces the scope's token of its cluster.</param>
    public void Add(CausalToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        for (var scope = this; scope is not null; scope = scope.Parent)
        {
            if (!scope.IsDisposed)
            {
                lock (scope._lock)
                {
                    scope._latest[token.Cluster] = token;
                }
            }
        }
    }

    /// <summary>Ends the scope: reads on the flow no longer use its tokens (an outer scope takes over again).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        Volatile.Write(ref _disposed, true);
        _onDispose(this);
    }
}

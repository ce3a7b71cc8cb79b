using System.Data.Common;

namespace ShardKit.CrossShard;

/// <summary>
/// One cluster's running statement: a slot of the cluster's concurrency limit, the connection and the open reader.
/// Disposing it closes the reader and the connection and frees the slot.
/// </summary>
internal sealed class ClusterLease : IAsyncDisposable
{
    private readonly SemaphoreSlim _limiter;
    private readonly ShardConnection _connection;
    private bool _disposed;

    public ClusterLease(ClusterPart part, SemaphoreSlim limiter, ShardConnection connection, DbDataReader reader)
    {
        Part = part;
        _limiter = limiter;
        _connection = connection;
        Reader = reader;
    }

    public ClusterPart Part { get; }

    public DbDataReader Reader { get; }

    /// <summary>The server that answered: the primary or a replica.</summary>
    public ShardEndpoint Endpoint => _connection.Endpoint;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await Reader.DisposeAsync().ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _limiter.Release();
        }
    }
}

namespace ShardKit.Orders;

/// <summary>An inline merchant copy under way: its cluster and the rent of its merchant connection.</summary>
internal sealed class InlineCopy(string cluster, Task<ShardConnection> open)
{
    public string Cluster { get; } = cluster;

    public Task<ShardConnection> Open { get; } = open;

    /// <summary>The write failed before the copy: return the connection when it arrives and give the probe slot back.</summary>
    public void Abandon(InlineCopyGate gate)
    {
        gate.OnAbandoned(Cluster);
        _ = Open.ContinueWith(
            static t =>
            {
                if (t.IsCompletedSuccessfully)
                {
                    _ = t.Result.DisposeAsync().AsTask();
                }
                else
                {
                    _ = t.Exception;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }
}

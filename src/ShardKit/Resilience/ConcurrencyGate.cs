namespace ShardKit.Resilience;

/// <summary>
/// Limits the connections callers hold at once on one endpoint, with a bounded FIFO queue of waiters. Calls marked
/// non-essential may use only part of the limit and never queue, so they are shed first.
/// </summary>
internal sealed class ConcurrencyGate
{
    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource> _queue = new();
    private int _inUse;

    public ConcurrencyGate(int limit, int queueLimit, double nonEssentialShare)
    {
        Limit = limit;
        QueueLimit = queueLimit;
        NonEssentialLimit = (int)Math.Floor(limit * nonEssentialShare);
    }

    public int Limit { get; }

    public int QueueLimit { get; }

    public int NonEssentialLimit { get; }

    public int InUse => Volatile.Read(ref _inUse);

    public int Queued
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>
    /// Takes a slot: at once when one is free, otherwise after queueing. Returns false, without waiting, when the call
    /// is rejected (the queue is full, or a non-essential call finds its share used).
    /// </summary>
    public ValueTask<bool> TryEnterAsync(bool nonEssential, CancellationToken cancellationToken)
    {
        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            var limit = nonEssential ? NonEssentialLimit : Limit;
            if (_inUse < limit && _queue.Count == 0)
            {
                _inUse++;
                return new ValueTask<bool>(true);
            }

            if (nonEssential || _queue.Count >= QueueLimit)
            {
                return new ValueTask<bool>(false);
            }

            node = _queue.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        return WaitAsync(node, cancellationToken);
    }

    /// <summary>Gives a slot back: to the first waiter if any, otherwise to the pool of free slots.</summary>
    public void Release()
    {
        lock (_lock)
        {
            var first = _queue.First;
            if (first is null)
            {
                _inUse--;
                return;
            }

            // The slot passes straight to the waiter: _inUse stays the same.
            _queue.RemoveFirst();
            first.Value.TrySetResult();
        }
    }

    private async ValueTask<bool> WaitAsync(LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        using (cancellationToken.Register(() => Cancel(node, cancellationToken)))
        {
            await node.Value.Task.ConfigureAwait(false);
        }

        return true;
    }

    private void Cancel(LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            // Only a waiter still queued is cancelled; one that was handed a slot keeps it (its caller releases it).
            if (node.List is not null)
            {
                _queue.Remove(node);
                node.Value.TrySetCanceled(cancellationToken);
            }
        }
    }
}

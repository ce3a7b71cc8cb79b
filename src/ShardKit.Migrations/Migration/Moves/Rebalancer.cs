namespace ShardKit.Migrations.Migration.Moves;

/// <summary>
/// Runs a plan of shard moves concurrently, bounded: at most <see cref="Parallel"/> moves at once, and never two running moves
/// that share a cluster (as source or target), so moves on different clusters overlap while no cluster copies, drains or cuts over
/// two shards at the same time. Moves start in plan order; a move whose clusters are busy waits and a later one whose clusters are
/// free goes first. A move that does not switch (or fails) stops the scheduling of new moves; the running ones finish and the
/// outcomes say which moves did not switch and why (<c>move-shard resume</c> finishes what was interrupted). Cancelling starts no
/// new move, lets the running ones stop at their own safe points, then throws <see cref="OperationCanceledException"/>.
/// </summary>
internal sealed class Rebalancer
{
    /// <summary>The smallest bound.</summary>
    public const int MinParallel = 1;

    /// <summary>The largest bound.</summary>
    public const int MaxParallel = 16;

    private readonly TimeProvider _timeProvider;

    /// <param name="parallel">How many moves may run at once (<see cref="MinParallel"/> to <see cref="MaxParallel"/>).</param>
    /// <param name="timeProvider">The clock of the outcomes' start and finish times.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="parallel"/> is out of range.</exception>
    public Rebalancer(int parallel, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        if (parallel is < MinParallel or > MaxParallel)
        {
            throw new ArgumentOutOfRangeException(nameof(parallel), parallel, $"--parallel must be between {MinParallel} and {MaxParallel}; got {parallel}.");
        }

        Parallel = parallel;
        _timeProvider = timeProvider;
    }

    /// <summary>How many moves may run at once.</summary>
    public int Parallel { get; }

    /// <summary>
    /// Runs <paramref name="moves"/> with <paramref name="move"/>; returns every started move's outcome in the order they finished.
    /// <paramref name="finished"/> is told of each outcome as it comes, one at a time (never concurrently), so it may write a line.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (after the running moves stopped).</exception>
    public async Task<IReadOnlyList<RebalanceOutcome>> RunAsync(
        IReadOnlyList<PlannedMove> moves,
        Func<PlannedMove, CancellationToken, Task<MoveCutoverResult>> move,
        Action<RebalanceOutcome>? finished,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(moves);
        ArgumentNullException.ThrowIfNull(move);
        var pending = moves.ToList();
        var busy = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var running = new List<Task<RebalanceOutcome>>();
        var outcomes = new List<RebalanceOutcome>(moves.Count);
        var stopped = false;
        while (true)
        {
            if (!stopped && !cancellationToken.IsCancellationRequested)
            {
                for (var i = 0; i < pending.Count && running.Count < Parallel; i++)
                {
                    var next = pending[i];
                    if (busy.Contains(next.From) || busy.Contains(next.To))
                    {
                        continue;
                    }

                    busy.Add(next.From);
                    busy.Add(next.To);
                    pending.RemoveAt(i--);
                    running.Add(RunOneAsync(next, move, cancellationToken));
                }
            }

            if (running.Count == 0)
            {
                break;
            }

            var done = await Task.WhenAny(running).ConfigureAwait(false);
            running.Remove(done);
            var outcome = await done.ConfigureAwait(false);
            busy.Remove(outcome.Move.From);
            busy.Remove(outcome.Move.To);
            if (outcome.Cancelled)
            {
                continue;
            }

            outcomes.Add(outcome);
            finished?.Invoke(outcome);
            stopped |= !outcome.Switched;
        }

        cancellationToken.ThrowIfCancellationRequested();
        return outcomes;
    }

    private async Task<RebalanceOutcome> RunOneAsync(PlannedMove planned, Func<PlannedMove, CancellationToken, Task<MoveCutoverResult>> move, CancellationToken cancellationToken)
    {
        // Off the scheduler's own continuation: a move that does its first work synchronously must not hold up the others' start.
        await Task.Yield();
        var started = _timeProvider.GetUtcNow();
        try
        {
            var result = await move(planned, cancellationToken).ConfigureAwait(false);
            return new RebalanceOutcome(planned, result, result.Switched ? null : result.Error ?? "not switched", started, _timeProvider.GetUtcNow());
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new RebalanceOutcome(planned, null, "cancelled", started, _timeProvider.GetUtcNow(), Cancelled: true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A move that failed is one that did not switch: the others finish, the plan stops and reports it.
            return new RebalanceOutcome(planned, null, ex.Message, started, _timeProvider.GetUtcNow());
        }
    }
}

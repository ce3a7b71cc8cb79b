using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;

namespace ShardKit.Migrations.Migration;

/// <summary>
/// One attempt to switch a unit (an import's bucket, a moved shard) from the side whose fence serves it to the other — the
/// part the bucket cutover and the shard cutover share. On the serving side's connection: set the lock wait timeout from
/// <see cref="MaxPause"/>; start the pause clock at the exclusive lock request; take the fence row <c>FOR UPDATE</c> (waits for
/// writers in flight, holds new ones; not free in time: fall back, "not free within N s"); the job's final step under the lock
/// (drain and check; a difference rolls back and falls back); write, without committing, the serving fence naming the other side
/// (epoch + 1) and the job's finish (<see cref="SwitchFinish"/>: the other fence, the placement); then check the budget — the pause
/// so far plus the commits still to come (estimated by what their statements took) must be within <see cref="MaxPause"/>, or
/// everything rolls back and the unit stays where it is. Within it: commit the serving fence (held writers wake to the signal),
/// then the finish in order. So the budget bounds the whole pause the writers see. A crash before the first commit leaves
/// nothing written (the server rolls open transactions back); after it the serving fence names the other side and the job's
/// resume finishes the switch.
/// </summary>
internal sealed class FenceSwitch
{
    /// <summary>The pause budget: the lock wait timeout (rounded up to whole seconds) and the bound on the whole pause.</summary>
    public required TimeSpan MaxPause { get; init; }

    /// <summary>The isolation level of the serving fence's transaction.</summary>
    public required IsolationLevel Isolation { get; init; }

    /// <summary>The serving fence's epoch as read before the attempt (reported when the lock is not taken).</summary>
    public required int EpochBefore { get; init; }

    /// <summary>Where the unit stays when the attempt falls back, e.g. <c>shard user:17 stays on 'c0'</c>.</summary>
    public required string Stays { get; init; }

    /// <summary>What a retry does, appended to <see cref="Stays"/> when the finish or the budget fails, e.g. <c> and the cutover is tried again</c>.</summary>
    public string Retry { get; init; } = "";

    /// <summary>What runs under the fence, named in the budget error, e.g. <c>drain, comparison, fences and placement</c>.</summary>
    public required string UnderFence { get; init; }

    /// <summary>What the finish writes, named when it fails, e.g. <c>opening the fence on 'c2' or writing the placement</c>.</summary>
    public required string FinishName { get; init; }

    /// <summary>The test hook's step once the fence is held.</summary>
    public required string FrozenStep { get; init; }

    /// <summary>The test hook's step once the serving fence's switch is committed.</summary>
    public required string SwitchedStep { get; init; }

    /// <summary>Takes the serving fence row exclusively in the transaction; returns its epoch.</summary>
    public required Func<DbTransaction, CancellationToken, Task<int>> LockAsync { get; init; }

    /// <summary>The job's final step under the lock (drain, then compare or verify): changes drained, and the difference that keeps the unit where it is (null: equal).</summary>
    public required Func<CancellationToken, Task<(long Drained, string? Difference)>> FinalAsync { get; init; }

    /// <summary>Writes the serving fence, in the transaction, naming the other side with the given epoch.</summary>
    public required Func<DbTransaction, int, CancellationToken, Task> CloseAsync { get; init; }

    /// <summary>Writes the job's finish for the given epoch without committing it.</summary>
    public required Func<int, CancellationToken, Task<SwitchFinish>> PrepareAsync { get; init; }

    /// <summary>Records a fallback with its error (the unit stays on its side).</summary>
    public required Func<string, CancellationToken, Task> FallBackAsync { get; init; }

    /// <summary>The job's test hook.</summary>
    public required Func<string, Task> StepAsync { get; init; }

    /// <summary>Runs the attempt on <paramref name="fence"/>, a connection to the serving side's fence.</summary>
    public async Task<FenceSwitchOutcome> RunAsync(DbConnection fence, CancellationToken cancellationToken)
    {
        var waitSeconds = Math.Max(1, (int)Math.Ceiling(MaxPause.TotalSeconds));
        await fence.ExecuteAsync(new CommandDefinition(
            string.Create(CultureInfo.InvariantCulture, $"SET SESSION innodb_lock_wait_timeout = {waitSeconds}"), cancellationToken: cancellationToken)).ConfigureAwait(false);
        var pause = Stopwatch.StartNew();
        var transaction = await fence.BeginTransactionAsync(Isolation, cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            int frozen;
            try
            {
                frozen = await LockAsync(transaction, cancellationToken).ConfigureAwait(false);
            }
            catch (DbException ex) when (ShardKitErrors.IsTransient(ex))
            {
                return await FallBackWithAsync(
                    string.Create(CultureInfo.InvariantCulture, $"the fence was not free within {waitSeconds} s (writers held it); {Stays}"), pause, EpochBefore, 0, cancellationToken).ConfigureAwait(false);
            }

            await StepAsync(FrozenStep).ConfigureAwait(false);
            var (drained, difference) = await FinalAsync(cancellationToken).ConfigureAwait(false);
            if (difference is not null)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return await FallBackWithAsync(difference, pause, frozen, drained, cancellationToken).ConfigureAwait(false);
            }

            var epoch = frozen + 1;
            var written = Stopwatch.StartNew();
            await CloseAsync(transaction, epoch, cancellationToken).ConfigureAwait(false);
            var closeWrite = written.Elapsed;
            SwitchFinish finish;
            try
            {
                finish = await PrepareAsync(epoch, cancellationToken).ConfigureAwait(false);
            }
            catch (DbException ex) when (ShardKitErrors.IsTransient(ex))
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return await FallBackWithAsync($"{FinishName} failed ({ex.Message}); {Stays}{Retry}", pause, frozen, drained, cancellationToken).ConfigureAwait(false);
            }

            await using (finish.ConfigureAwait(false))
            {
                var commits = closeWrite + finish.Writes;
                if (pause.Elapsed + commits > MaxPause)
                {
                    await finish.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                    var error = string.Create(CultureInfo.InvariantCulture, $"the switch under the fence ({UnderFence}) took {pause.Elapsed.TotalMilliseconds:0} ms and its commits need about {commits.TotalMilliseconds:0} ms more, more than the {MaxPause.TotalMilliseconds:0} ms allowed; {Stays}{Retry}");
                    return await FallBackWithAsync(error, pause, frozen, drained, cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                await StepAsync(SwitchedStep).ConfigureAwait(false);
                await finish.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            var pauseMs = pause.Elapsed.TotalMilliseconds;
            await fence.ExecuteAsync(new CommandDefinition("SET SESSION innodb_lock_wait_timeout = DEFAULT", cancellationToken: cancellationToken)).ConfigureAwait(false);
            return new FenceSwitchOutcome(true, pauseMs, epoch, drained, null);
        }
    }

    private async Task<FenceSwitchOutcome> FallBackWithAsync(string error, Stopwatch pause, int epoch, long drained, CancellationToken cancellationToken)
    {
        await FallBackAsync(error, cancellationToken).ConfigureAwait(false);
        return new FenceSwitchOutcome(false, pause.Elapsed.TotalMilliseconds, epoch, drained, error);
    }
}

using System.Data;
using System.Data.Common;
using System.Diagnostics;
using Dapper;

namespace ShardKit.Migrations.Migration;

/// <summary>
/// The end of a switch, written but not committed: the other side's fence opened (and, for a shard move, the placement
/// override), each in a transaction of its own (<see cref="FenceSwitch"/> has the job write them while it holds the serving
/// fence, so the pause check sees them). <see cref="Writes"/> is what their statements took, the estimate of their commits; <see cref="CommitAsync"/> commits
/// them in the order they were written; disposing rolls back whatever was not committed (a crash does the same on the server).
/// </summary>
internal sealed class SwitchFinish : IAsyncDisposable
{
    private readonly List<(IAsyncDisposable Owner, DbTransaction Transaction)> _parts = [];
    private readonly string _firstCommittedStep;
    private readonly Func<string, Task> _step;
    private int _committed;

    /// <param name="firstCommittedStep">The test hook's step after the first part commits (the other fence open, the placement not yet).</param>
    /// <param name="step">The job's test hook.</param>
    public SwitchFinish(string firstCommittedStep, Func<string, Task> step)
    {
        _firstCommittedStep = firstCommittedStep;
        _step = step;
    }

    /// <summary>The time the written statements took (their round trips and row locks), not counting the test hooks between them.</summary>
    public TimeSpan Writes { get; private set; }

    /// <summary>Begins a READ COMMITTED transaction on <paramref name="connection"/>, which this finish then owns.</summary>
    public Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken) =>
        BeginAsync(connection, connection, cancellationToken);

    /// <summary>Begins a READ COMMITTED transaction on <paramref name="connection"/>; this finish then owns <paramref name="owner"/>, which disposes the connection.</summary>
    public async Task<DbTransaction> BeginAsync(DbConnection connection, IAsyncDisposable owner, CancellationToken cancellationToken)
    {
        try
        {
            var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            _parts.Add((owner, transaction));
            return transaction;
        }
        catch
        {
            await owner.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs one statement of the finish and adds its time to <see cref="Writes"/>.</summary>
    public async Task WriteAsync(DbConnection connection, CommandDefinition command)
    {
        var clock = Stopwatch.StartNew();
        await connection.ExecuteAsync(command).ConfigureAwait(false);
        Writes += clock.Elapsed;
    }

    /// <summary>Commits every part in the order it was written.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        while (_committed < _parts.Count)
        {
            await _parts[_committed].Transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _committed++;
            if (_committed == 1 && _parts.Count > 1)
            {
                await _step(_firstCommittedStep).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Rolls back every part not committed.</summary>
    public async Task RollbackAsync(CancellationToken cancellationToken)
    {
        foreach (var (_, transaction) in _parts.Skip(_committed))
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        }

        _committed = _parts.Count;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var (owner, transaction) in _parts)
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            await owner.DisposeAsync().ConfigureAwait(false);
        }

        _parts.Clear();
    }
}

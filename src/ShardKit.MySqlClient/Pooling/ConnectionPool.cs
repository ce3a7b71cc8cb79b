using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using ShardKit.MySqlClient.Protocol;

namespace ShardKit.MySqlClient.Pooling;

/// <summary>
/// A bounded pool of sessions for one connection string. Renting waits up to the connection timeout for a free
/// slot; returning resets the session (COM_RESET_CONNECTION) when it may hold session state
/// (<see cref="ServerSession.NeedsReset"/>), so no session state survives. Idle sessions that the
/// server has closed are detected without a round trip and replaced; sessions past Connection Lifetime are closed;
/// a timer prunes sessions idle for longer than Connection Idle Timeout, keeping Minimum Pool Size.
/// </summary>
internal sealed class ConnectionPool : IDisposable
{
    private readonly SemaphoreSlim _slots;

    // Idle sessions, most recently returned on top, in an array under a lock: a return allocates nothing (a
    // ConcurrentStack allocates a node per push). Sessions in use hold a slot, so it holds at most Maximum Pool Size.
    private readonly Lock _idleLock = new();
    private readonly ServerSession?[] _idle;
    private int _idleCount;
    private readonly Timer _pruneTimer;
    private int _generation;
    private bool _disposed;

    public ConnectionPool(ConnectionSettings settings)
    {
        Settings = settings;
        _slots = new SemaphoreSlim(settings.MaximumPoolSize, settings.MaximumPoolSize);
        _idle = new ServerSession?[settings.MaximumPoolSize];
        var period = TimeSpan.FromSeconds(Math.Clamp(settings.ConnectionIdleTimeout.TotalSeconds / 2, 1, 15));
        _pruneTimer = new Timer(static s => ((ConnectionPool)s!).Prune(), this, period, period);
    }

    public ConnectionSettings Settings { get; }

    /// <summary>Sessions currently idle in the pool.</summary>
    public int IdleCount => Volatile.Read(ref _idleCount);

    /// <summary>Sessions currently rented out.</summary>
    public int InUseCount => Settings.MaximumPoolSize - _slots.CurrentCount;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ServerSession> RentAsync(IOBehavior io, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var acquired = io == IOBehavior.Asynchronous
            ? await _slots.WaitAsync(Settings.ConnectTimeout, cancellationToken).ConfigureAwait(false)
            : _slots.Wait(Settings.ConnectTimeout, cancellationToken);
        if (!acquired)
        {
            throw new MySqlException(MySqlErrorCode.PoolExhausted, null, string.Create(CultureInfo.InvariantCulture,
                $"All {Settings.MaximumPoolSize} connections of the pool for {Settings.Endpoint} are in use (Maximum Pool Size={Settings.MaximumPoolSize}) and none was returned within the connection timeout of {Settings.ConnectTimeout.TotalSeconds:0.###} s."));
        }

        try
        {
            while (TryPop(out var session))
            {
                if (session.PoolGeneration == Volatile.Read(ref _generation) && !IsExpired(session) && await IsUsableAsync(session, io).ConfigureAwait(false))
                {
                    return session;
                }

                await session.CloseAsync(io).ConfigureAwait(false);
            }

            var created = await ServerSession.ConnectAsync(Settings, initializeSession: true, io, cancellationToken).ConfigureAwait(false);
            created.PoolGeneration = Volatile.Read(ref _generation);
            return created;
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    /// <summary>Resets (when it holds session state) and keeps the session, or closes it when it is broken, expired or from a cleared generation.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReturnAsync(ServerSession session, IOBehavior io)
    {
        try
        {
            if (!_disposed && !session.IsBroken && session.PoolGeneration == Volatile.Read(ref _generation) && !IsExpired(session))
            {
                if (Settings.ConnectionReset && session.NeedsReset)
                {
                    try
                    {
                        await session.SendResetAsync(io, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (MySqlException)
                    {
                        session.MarkBroken();
                    }
                }

                if (!session.IsBroken)
                {
                    session.ReturnedTimestamp = Stopwatch.GetTimestamp();
                    Push(session);
                    return;
                }
            }

            await session.CloseAsync(io).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Closes every idle session and makes sessions in use close instead of returning.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        while (TryPop(out var session))
        {
            session.Dispose();
        }
    }

    /// <summary>
    /// Reads the answers of the reset sent when the session was returned (normally already received) and checks,
    /// without a round trip, that the server has not closed the connection since.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> IsUsableAsync(ServerSession session, IOBehavior io)
    {
        if (session.HasPendingReset)
        {
            // Bounded by the connection timeout, so a hung server cannot hang the caller.
            var timeoutSeconds = Settings.ConnectTimeout == Timeout.InfiniteTimeSpan ? 0 : Math.Max(1, (int)Settings.ConnectTimeout.TotalSeconds);
            session.BeginCancellableOperation(timeoutSeconds, CancellationToken.None);
            try
            {
                await session.CompleteResetAsync(io, CancellationToken.None).ConfigureAwait(false);
            }
            catch (MySqlException)
            {
                return false;
            }
            finally
            {
                await session.EndCancellableOperationAsync(io).ConfigureAwait(false);
            }

            if (session.WasCancelled)
            {
                return false;
            }
        }

        // Checked on every rent, however recently the session came back: skipping the check for sessions returned
        // within the last second saved a system call per query but handed out sessions of a server killed in that
        // second (ReplicaFaultTests.KillingAReplicaUnderReadLoadFailsNoRead then failed reads).
        return session.LooksAlive();
    }

    private bool IsExpired(ServerSession session) =>
        Settings.ConnectionLifetime > TimeSpan.Zero && session.Age > Settings.ConnectionLifetime;

    private void Prune()
    {
        if (IdleCount == 0)
        {
            return;
        }

        var kept = new List<ServerSession>();
        while (TryPop(out var session))
        {
            kept.Add(session);
        }

        // Most recently returned first: the oldest idle sessions are the ones pruned.
        kept.Sort(static (a, b) => b.ReturnedTimestamp.CompareTo(a.ReturnedTimestamp));
        var survivors = new List<ServerSession>();
        foreach (var session in kept)
        {
            var idleTooLong = Stopwatch.GetElapsedTime(session.ReturnedTimestamp) > Settings.ConnectionIdleTimeout;
            var overMinimum = survivors.Count + InUseCount >= Settings.MinimumPoolSize;
            if (session.IsBroken || IsExpired(session) || (idleTooLong && overMinimum) || (!session.HasPendingReset && !session.LooksAlive()))
            {
                session.Dispose();
            }
            else
            {
                survivors.Add(session);
            }
        }

        for (var i = survivors.Count - 1; i >= 0; i--)
        {
            Push(survivors[i]);
        }
    }

    private bool TryPop([NotNullWhen(true)] out ServerSession? session)
    {
        lock (_idleLock)
        {
            if (_idleCount == 0)
            {
                session = null;
                return false;
            }

            var index = --_idleCount;
            session = _idle[index]!;
            _idle[index] = null;
            return true;
        }
    }

    private void Push(ServerSession session)
    {
        lock (_idleLock)
        {
            if (_idleCount < _idle.Length)
            {
                _idle[_idleCount++] = session;
                return;
            }
        }

        // Full only when a session was created while Prune had the idle ones out of the stack: one too many, so close it.
        session.Dispose();
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _pruneTimer.Dispose();
        Clear();
    }
}

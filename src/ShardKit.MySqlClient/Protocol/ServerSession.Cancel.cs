using System.Globalization;
using System.Runtime.CompilerServices;

namespace ShardKit.MySqlClient.Protocol;

/// <summary>
/// Command timeout and cancellation: when a timer or a token fires during an operation, a side connection sends
/// <c>KILL QUERY</c> for this session's thread, so the server stops the statement and the session stays usable.
/// If the side connection cannot do that, the socket is closed so the caller never hangs.
/// </summary>
internal sealed partial class ServerSession
{
    private const int ReasonNone = 0;
    private const int ReasonTimeout = 1;
    private const int ReasonCancelled = 2;

    private readonly SemaphoreSlim _cancelGate = new(1, 1);
    private readonly Lock _timerLock = new();
    private Timer? _timer;
    private long _timerDue = long.MaxValue;
    private int _cancelsInFlight;
    private int _operationId;
    private int _activeOperationId;
    private int _cancelReason;
    private int _timeoutSeconds;
    private long _timeoutDeadline;
    private CancellationTokenRegistration _registration;
    private CancellationToken _token;

    /// <summary>Arms the timeout and the cancellation token for the operation about to run.</summary>
    public void BeginCancellableOperation(int timeoutSeconds, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Volatile.Write(ref _cancelReason, ReasonNone);
        var id = ++_operationId;
        if (id == 0)
        {
            id = ++_operationId;
        }

        _timeoutSeconds = timeoutSeconds;
        _token = cancellationToken;

        // The deadline is written before the operation id, so a timer callback that sees this operation also sees its
        // deadline (never the previous operation's, which may have passed).
        var deadline = timeoutSeconds > 0 ? Environment.TickCount64 + (timeoutSeconds * 1000L) : long.MaxValue;
        Volatile.Write(ref _timeoutDeadline, deadline);

        // A full fence between publishing the operation and reading _timerDue (OnTimer does the reverse).
        Interlocked.Exchange(ref _activeOperationId, id);

        // The timer stays armed across operations: it is rescheduled only when it would fire too late for this
        // deadline (it is not armed, or armed for a later time). When it fires early, OnTimer re-arms it for the
        // deadline of the operation then running, so back-to-back commands do not reschedule it every time.
        if (deadline < Volatile.Read(ref _timerDue))
        {
            lock (_timerLock)
            {
                if (deadline < _timerDue)
                {
                    _timer ??= new Timer(static s => ((ServerSession)s!).OnTimer(), this, Timeout.Infinite, Timeout.Infinite);
                    Volatile.Write(ref _timerDue, deadline);
                    _timer.Change(timeoutSeconds * 1000L, Timeout.Infinite);
                }
            }
        }

        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (s, _) =>
                {
                    var (session, operation) = ((ServerSession, int))s!;
                    ThreadPool.UnsafeQueueUserWorkItem(static t => t.session.Cancel(ReasonCancelled, t.operation), (session, operation), preferLocal: false);
                },
                (this, id));
        }
    }

    /// <summary>Disarms the timeout and waits until a KILL QUERY in flight (if any) has finished.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask EndCancellableOperationAsync(IOBehavior io)
    {
        // Interlocked (a full fence) before reading _cancelsInFlight: a Cancel that has not yet checked the active
        // operation will see it ended, and one that already has is counted in _cancelsInFlight.
        Interlocked.Exchange(ref _activeOperationId, 0);
        if (_token.CanBeCanceled)
        {
            if (io == IOBehavior.Asynchronous)
            {
                await _registration.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                _registration.Dispose();
            }

            _registration = default;
        }

        if (Volatile.Read(ref _cancelsInFlight) == 0)
        {
            return;
        }

        if (io == IOBehavior.Asynchronous)
        {
            await _cancelGate.WaitAsync().ConfigureAwait(false);
        }
        else
        {
            _cancelGate.Wait();
        }

        _cancelGate.Release();
    }

    /// <summary>Cancels the current operation (DbCommand.Cancel); blocks while the KILL QUERY runs.</summary>
    public void CancelCurrentOperation() => Cancel(ReasonCancelled, Volatile.Read(ref _activeOperationId));

    /// <summary>Whether a timeout or cancellation fired during the current or last operation.</summary>
    public bool WasCancelled => Volatile.Read(ref _cancelReason) != ReasonNone;

    /// <summary>Replaces a failure caused by our own KILL QUERY (or aborted socket) with the timeout or cancellation it stands for.</summary>
    public Exception TranslateCancellation(Exception exception)
    {
        var reason = Volatile.Read(ref _cancelReason);
        if (reason == ReasonNone || exception is not MySqlException mySql
            || mySql.ErrorCode is not (MySqlErrorCode.QueryInterrupted or MySqlErrorCode.ConnectionLost or MySqlErrorCode.StatementTimeout))
        {
            return exception;
        }

        return CancellationException(exception);
    }

    /// <summary>The exception for an operation whose timeout or token fired even though the server answered normally.</summary>
    public Exception CancellationException(Exception? inner)
    {
        var where = IsBroken ? " The connection could not be recovered and was closed." : " The server-side query was killed; the connection is still usable.";
        return Volatile.Read(ref _cancelReason) == ReasonTimeout
            ? new MySqlException(MySqlErrorCode.CommandTimeout, null, string.Create(CultureInfo.InvariantCulture, $"The command did not finish within its CommandTimeout of {_timeoutSeconds} s.{where}"), inner)
            : new OperationCanceledException("The command was cancelled." + where, inner, _token);
    }

    private void OnTimer()
    {
        int operation;
        lock (_timerLock)
        {
            // Disarmed from here on; a full fence before reading the operation (BeginCancellableOperation does the reverse).
            Interlocked.Exchange(ref _timerDue, long.MaxValue);
            operation = Volatile.Read(ref _activeOperationId);
            var deadline = Volatile.Read(ref _timeoutDeadline);
            if (operation == 0 || deadline == long.MaxValue)
            {
                return;
            }

            var remaining = deadline - Environment.TickCount64;
            if (remaining > 0)
            {
                // Armed for an earlier operation: sleep until the deadline of the one running now.
                Volatile.Write(ref _timerDue, deadline);
                try
                {
                    _timer?.Change(remaining, Timeout.Infinite);
                }
                catch (ObjectDisposedException)
                {
                }

                return;
            }
        }

        // Cancel checks that the operation is still the active one, so an operation that has just ended is left alone.
        Cancel(ReasonTimeout, operation);
    }

    private void Cancel(int reason, int operationId)
    {
        if (operationId == 0)
        {
            return;
        }

        Interlocked.Increment(ref _cancelsInFlight);
        _cancelGate.Wait();
        try
        {
            if (Volatile.Read(ref _activeOperationId) != operationId || IsBroken
                || Interlocked.CompareExchange(ref _cancelReason, reason, ReasonNone) != ReasonNone)
            {
                return;
            }

            if (!TryKillQuery())
            {
                Abort();
            }
        }
        finally
        {
            _cancelGate.Release();
            Interlocked.Decrement(ref _cancelsInFlight);
        }
    }

    /// <summary>Runs KILL QUERY on a side connection, synchronously (this runs on a thread-pool thread, never the caller's).</summary>
    private bool TryKillQuery()
    {
        try
        {
            using var killer = ConnectAsync(Settings, initializeSession: false, IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();
            using var builder = new PayloadBuilder(64);
            builder.WriteByte(CommandQuery);
            builder.WriteAscii(string.Create(CultureInfo.InvariantCulture, $"KILL QUERY {ConnectionId}"));
            killer.SendCommandAsync(builder, IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();
            killer.ReadOkAsync(IOBehavior.Synchronous, CancellationToken.None).GetCompletedResult();
            killer.CloseAsync(IOBehavior.Synchronous).GetCompletedResult();
            return true;
        }
        catch (MySqlException)
        {
            return false;
        }
    }
}

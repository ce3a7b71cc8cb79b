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
    private Timer? _timer;
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

        Volatile.Write(ref _activeOperationId, id);
        _timeoutSeconds = timeoutSeconds;
        _token = cancellationToken;
        if (timeoutSeconds > 0)
        {
            Volatile.Write(ref _timeoutDeadline, Environment.TickCount64 + (timeoutSeconds * 1000L));
            _timer ??= new Timer(static s => ((ServerSession)s!).OnTimer(), this, Timeout.Infinite, Timeout.Infinite);
            _timer.Change(timeoutSeconds * 1000L, Timeout.Infinite);
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
        Volatile.Write(ref _activeOperationId, 0);
        _timer?.Change(Timeout.Infinite, Timeout.Infinite);
        if (io == IOBehavior.Asynchronous)
        {
            await _registration.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            _registration.Dispose();
        }

        _registration = default;
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
        // A callback that was already queued when its operation ended must not cancel the next operation.
        if (Environment.TickCount64 >= Volatile.Read(ref _timeoutDeadline))
        {
            Cancel(ReasonTimeout, Volatile.Read(ref _activeOperationId));
        }
    }

    private void Cancel(int reason, int operationId)
    {
        if (operationId == 0)
        {
            return;
        }

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

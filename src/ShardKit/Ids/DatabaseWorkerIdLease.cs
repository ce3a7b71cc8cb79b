using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ShardKit.Ids;

/// <summary>
/// A worker ID leased from the table <c>shardkit_worker_leases</c> of a MySQL or MariaDB database that all
/// instances share, so no two live <see cref="OrderIdGenerator"/>s ever use the same worker ID.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="AcquireAsync"/> creates the table if needed and atomically claims the lowest worker ID that is free
/// (released or expired more than <see cref="DatabaseWorkerIdLeaseOptions.ReuseDelay"/> ago). A background task
/// renews the lease every third of <see cref="DatabaseWorkerIdLeaseOptions.LeaseDuration"/>; disposing releases it.
/// </para>
/// <para>
/// <see cref="IsHeld"/> is judged on this process's monotonic clock from the moment each claim or renewal was sent,
/// so it turns <see langword="false"/> no later than the database considers the lease expired, whatever the wall-clock
/// difference between this machine and the database. If renewals fail past that point, or another instance took the
/// worker ID over, the generator refuses to issue IDs (<see cref="ShardKitErrorCode.IdGenerationFailed"/>).
/// </para>
/// </remarks>
public sealed class DatabaseWorkerIdLease : IWorkerIdLease, IAsyncDisposable
{
    private readonly IWorkerLeaseStore _store;
    private readonly TimeSpan _duration;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly long _durationTimestampTicks;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _renewals;
    private long _heldUntilTimestamp;
    private volatile bool _ended;
    private int _disposed;

    private DatabaseWorkerIdLease(IWorkerLeaseStore store, int workerId, string owner, long claimSentAt, TimeSpan duration, TimeProvider timeProvider, ILogger logger)
    {
        _store = store;
        WorkerId = workerId;
        Owner = owner;
        _duration = duration;
        _timeProvider = timeProvider;
        _logger = logger;
        _durationTimestampTicks = (long)(duration.TotalSeconds * timeProvider.TimestampFrequency);
        _heldUntilTimestamp = claimSentAt + _durationTimestampTicks;
        _renewals = Task.Run(RenewUntilStoppedAsync);
    }

    /// <summary>The leased worker ID, 0..254 (255 is the legacy import's).</summary>
    public int WorkerId { get; }

    /// <summary>The owner recorded in the lease table: the owner name plus a suffix unique to this lease.</summary>
    public string Owner { get; }

    /// <summary>Whether the worker ID is certainly still held (renewed in time, not taken over, not released).</summary>
    public bool IsHeld => !_ended && _timeProvider.GetTimestamp() < Volatile.Read(ref _heldUntilTimestamp);

    /// <summary>Leases a free worker ID from the database behind <paramref name="dataSource"/>, creating the lease table if it is missing.</summary>
    /// <param name="dataSource">A data source for a MySQL or MariaDB database shared by every instance that generates order IDs.</param>
    /// <param name="options">Lease duration, reuse delay and owner name; defaults when <see langword="null"/>.</param>
    /// <param name="logger">Receives acquisition, renewal failures, loss and release; none when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for renewals and expiry; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the acquisition.</param>
    /// <returns>The held lease; dispose it to release the worker ID.</returns>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.WorkerIdsExhausted"/>: all 256 worker IDs are held by live instances.</exception>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public static Task<DatabaseWorkerIdLease> AcquireAsync(
        DbDataSource dataSource,
        DatabaseWorkerIdLeaseOptions? options = null,
        ILogger? logger = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return AcquireCoreAsync(new DbWorkerLeaseStore(dataSource), options, logger, timeProvider, cancellationToken);
    }

    internal static async Task<DatabaseWorkerIdLease> AcquireCoreAsync(
        IWorkerLeaseStore store,
        DatabaseWorkerIdLeaseOptions? options,
        ILogger? logger,
        TimeProvider? timeProvider,
        CancellationToken cancellationToken)
    {
        options ??= new DatabaseWorkerIdLeaseOptions();
        OptionsValidator<DatabaseWorkerIdLeaseOptions>.ThrowIfInvalid(options, nameof(options));
        timeProvider ??= TimeProvider.System;
        logger ??= NullLogger.Instance;
        var owner = string.Create(CultureInfo.InvariantCulture, $"{options.OwnerName ?? DefaultOwnerName()}/{Guid.NewGuid():N}");

        await store.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var claimSentAt = timeProvider.GetTimestamp();
        var workerId = await store.TryClaimAsync(owner, options.LeaseDuration, options.ReuseDelay, cancellationToken).ConfigureAwait(false)
            ?? throw new ShardKitException(
                ShardKitErrorCode.WorkerIdsExhausted,
                string.Create(CultureInfo.InvariantCulture, $"All {OrderIdLayout.MaxLeasedWorkerId + 1} order-ID worker IDs in {DbWorkerLeaseStore.TableName} (0..{OrderIdLayout.MaxLeasedWorkerId}; {OrderIdLayout.LegacyWorkerId} is the legacy import's) are held by live instances or were freed less than {options.ReuseDelay.TotalSeconds} s ago; stop unused instances or retry after their leases expire."));

        WorkerIdLeaseLog.Acquired(logger, workerId, owner, options.LeaseDuration);
        return new DatabaseWorkerIdLease(store, workerId, owner, claimSentAt, options.LeaseDuration, timeProvider, logger);
    }

    /// <summary>Stops renewing and releases the worker ID; from now on <see cref="IsHeld"/> is <see langword="false"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var wasLost = _ended;
        _ended = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _renewals.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        if (wasLost)
        {
            return;
        }

        try
        {
            await _store.ReleaseAsync(WorkerId, Owner, CancellationToken.None).ConfigureAwait(false);
            WorkerIdLeaseLog.Released(_logger, WorkerId);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            WorkerIdLeaseLog.ReleaseFailed(_logger, WorkerId, exception);
        }
    }

    private async Task RenewUntilStoppedAsync()
    {
        var interval = _duration / 3;
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _timeProvider, token).ConfigureAwait(false);
                var sentAt = _timeProvider.GetTimestamp();
                if (await _store.TryRenewAsync(WorkerId, Owner, _duration, token).ConfigureAwait(false))
                {
                    Volatile.Write(ref _heldUntilTimestamp, sentAt + _durationTimestampTicks);
                }
                else
                {
                    _ended = true;
                    WorkerIdLeaseLog.Lost(_logger, WorkerId, Owner);
                    return;
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                var remaining = _timeProvider.GetElapsedTime(_timeProvider.GetTimestamp(), Volatile.Read(ref _heldUntilTimestamp));
                WorkerIdLeaseLog.RenewalFailed(_logger, WorkerId, remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining, exception);
            }
        }
    }

    private static string DefaultOwnerName()
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}:{Environment.ProcessId}");
        return name.Length <= 60 ? name : name[^60..];
    }
}

using System.Globalization;
using ShardKit.DependencyInjection;

namespace ShardKit.Migrations.Migration.Throttling;

/// <summary>
/// The one throttle of every copy loop (the legacy backfill, a shard move's copy), called before each chunk. It keeps the
/// copy under its rows-per-second cap, then, at most once per <see cref="CopyThrottleOptions.CheckInterval"/>, reads the
/// load (<see cref="ICopyLoadProbe"/>) and waits, reading it again every <see cref="CopyThrottleOptions.Backoff"/>, while a
/// replica lags, a primary runs too many threads or the writers report a slow 99th percentile. Each limit that is null is
/// not read. Waits use the <see cref="TimeProvider"/>; <see cref="WaitingFor"/> and the callback say why it waits.
/// </summary>
internal sealed class CopyThrottle
{
    private static readonly TimeSpan s_reportEvery = TimeSpan.FromSeconds(5);

    private readonly CopyThrottleOptions _options;
    private readonly ICopyLoadProbe _probe;
    private readonly TimeProvider _timeProvider;
    private readonly Action<string>? _onWait;
    private readonly long _start;
    private long? _lastCheck;

    /// <param name="options">The limits; validated here.</param>
    /// <param name="probe">Where the load is read.</param>
    /// <param name="timeProvider">The clock of the cap and of every wait.</param>
    /// <param name="onWait">Told why the copy waits when a wait on the load starts, and every 5 seconds while it lasts.</param>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public CopyThrottle(CopyThrottleOptions options, ICopyLoadProbe probe, TimeProvider timeProvider, Action<string>? onWait = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(timeProvider);
        OptionsValidator<CopyThrottleOptions>.ThrowIfInvalid(options, nameof(options));
        _options = options;
        _probe = probe;
        _timeProvider = timeProvider;
        _onWait = onWait;
        _start = timeProvider.GetTimestamp();
    }

    /// <summary>The largest replica lag seen at the last check (zero when not checked).</summary>
    public TimeSpan LastLag { get; private set; }

    /// <summary>The highest <c>Threads_running</c> seen at the last check; null when not checked.</summary>
    public long? LastThreadsRunning { get; private set; }

    /// <summary>The highest writer 99th percentile reported at the last check; null when not checked or none reported.</summary>
    public TimeSpan? LastWriterP99 { get; private set; }

    /// <summary>The time spent waiting so far (the cap and the load).</summary>
    public TimeSpan Throttled { get; private set; }

    /// <summary>Why the copy waits now (every limit exceeded, with its figure); null when it does not.</summary>
    public string? WaitingFor { get; private set; }

    /// <summary>
    /// Returns when the next chunk may be copied: <paramref name="rowsDone"/> rows copied since this throttle was created are
    /// not ahead of the cap, and no limit on the load is exceeded.
    /// </summary>
    public async Task WaitAsync(long rowsDone, CancellationToken cancellationToken)
    {
        if (_options.RowsPerSecond > 0)
        {
            var due = TimeSpan.FromSeconds((double)rowsDone / _options.RowsPerSecond) - _timeProvider.GetElapsedTime(_start);
            if (due > TimeSpan.Zero)
            {
                WaitingFor = string.Create(CultureInfo.InvariantCulture, $"the cap of {_options.RowsPerSecond} rows/s");
                await Task.Delay(due, _timeProvider, cancellationToken).ConfigureAwait(false);
                Throttled += due;
                WaitingFor = null;
            }
        }

        if (_lastCheck is { } last && _timeProvider.GetElapsedTime(last) < _options.CheckInterval)
        {
            return;
        }

        var waitStarted = (long?)null;
        var reported = (long?)null;
        while (true)
        {
            _lastCheck = _timeProvider.GetTimestamp();
            var reasons = await ExceededAsync(cancellationToken).ConfigureAwait(false);
            if (reasons.Count == 0)
            {
                WaitingFor = null;
                return;
            }

            WaitingFor = string.Join("; ", reasons);
            waitStarted ??= _lastCheck;
            if (reported is null || _timeProvider.GetElapsedTime(reported.Value) >= s_reportEvery)
            {
                reported = _timeProvider.GetTimestamp();
                _onWait?.Invoke(string.Create(CultureInfo.InvariantCulture, $"copy waiting ({_timeProvider.GetElapsedTime(waitStarted.Value).TotalSeconds:0.0} s so far): {WaitingFor}"));
            }

            await Task.Delay(_options.Backoff, _timeProvider, cancellationToken).ConfigureAwait(false);
            Throttled += _options.Backoff;
        }
    }

    private async Task<List<string>> ExceededAsync(CancellationToken cancellationToken)
    {
        var reasons = new List<string>();
        if (_options.MaxReplicaLag is { } maxLag)
        {
            var (lag, where) = await _probe.MaxReplicaLagAsync(cancellationToken).ConfigureAwait(false);
            LastLag = lag;
            if (lag > maxLag)
            {
                reasons.Add(string.Create(CultureInfo.InvariantCulture, $"replica {where} lags {lag.TotalSeconds:0.0} s (--max-replica-lag {maxLag.TotalSeconds:0.###} s)"));
            }
        }

        if (_options.MaxThreadsRunning is { } maxThreads)
        {
            var (threads, where) = await _probe.MaxThreadsRunningAsync(cancellationToken).ConfigureAwait(false);
            LastThreadsRunning = threads;
            if (threads > maxThreads)
            {
                reasons.Add(string.Create(CultureInfo.InvariantCulture, $"{where} runs {threads} threads (--max-threads-running {maxThreads})"));
            }
        }

        if (_options.MaxWriterP99 is { } maxP99)
        {
            var p99 = await _probe.WriterP99Async(cancellationToken).ConfigureAwait(false);
            LastWriterP99 = p99;
            if (p99 > maxP99)
            {
                reasons.Add(string.Create(CultureInfo.InvariantCulture, $"the writers report a p99 of {p99.Value.TotalMilliseconds:0} ms (--max-writer-p99-ms {maxP99.TotalMilliseconds:0})"));
            }
        }

        return reasons;
    }
}

using Microsoft.Extensions.Time.Testing;
using ShardKit.Migrations.Migration.Throttling;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Migration;

/// <summary>The one copy throttle: each limit holds a chunk back while it is exceeded and lets it go when it is not; the cap spaces chunks.</summary>
public sealed class CopyThrottleTests
{
    private static readonly TimeSpan s_backoff = TimeSpan.FromMilliseconds(250);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly FakeCopyLoadProbe _probe = new();
    private readonly List<string> _reported = [];

    [Fact]
    public async Task WaitsWhileAReplicaLagsMoreThanTheLimitAndGoesOnWhenItCatchesUp()
    {
        _probe.Lag = TimeSpan.FromSeconds(12);
        var throttle = NewThrottle(new CopyThrottleOptions { MaxReplicaLag = TimeSpan.FromSeconds(5), MaxThreadsRunning = null });

        var wait = throttle.WaitAsync(rowsDone: 0, CancellationToken.None);
        await HoldsBackAsync(wait, () => _probe.LagReads, reads: 3);
        Assert.Equal(TimeSpan.FromSeconds(12), throttle.LastLag);
        Assert.Equal("replica r1 of cluster c1 lags 12.0 s (--max-replica-lag 5 s)", throttle.WaitingFor);
        Assert.Contains("replica r1 of cluster c1 lags 12.0 s", Assert.Single(_reported), StringComparison.Ordinal);

        _probe.Lag = TimeSpan.FromSeconds(5);
        _time.Advance(s_backoff);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.FromSeconds(5), throttle.LastLag);
        Assert.Null(throttle.WaitingFor);
        Assert.Equal(3 * s_backoff, throttle.Throttled);
        Assert.Equal(0, _probe.ThreadReads);
        Assert.Equal(0, _probe.P99Reads);
    }

    [Fact]
    public async Task WaitsWhileAPrimaryRunsMoreThreadsThanTheLimitAndGoesOnWhenItCalmsDown()
    {
        _probe.ThreadsRunning = 80;
        var throttle = NewThrottle(new CopyThrottleOptions { MaxReplicaLag = null, MaxThreadsRunning = 32 });

        var wait = throttle.WaitAsync(rowsDone: 0, CancellationToken.None);
        await HoldsBackAsync(wait, () => _probe.ThreadReads, reads: 2);
        Assert.Equal(80, throttle.LastThreadsRunning);
        Assert.Equal("the primary of cluster c0 runs 80 threads (--max-threads-running 32)", throttle.WaitingFor);

        _probe.ThreadsRunning = 32;
        _time.Advance(s_backoff);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(32, throttle.LastThreadsRunning);
        Assert.Equal(2 * s_backoff, throttle.Throttled);
        Assert.Equal(0, _probe.LagReads);
    }

    [Fact]
    public async Task WaitsWhileTheWritersReportASlowP99AndGoesOnWhenItRecoversOrNoneReports()
    {
        _probe.WriterP99 = TimeSpan.FromMilliseconds(800);
        var throttle = NewThrottle(new CopyThrottleOptions { MaxReplicaLag = null, MaxThreadsRunning = null, MaxWriterP99 = TimeSpan.FromMilliseconds(200) });

        var wait = throttle.WaitAsync(rowsDone: 0, CancellationToken.None);
        await HoldsBackAsync(wait, () => _probe.P99Reads, reads: 2);
        Assert.Equal(TimeSpan.FromMilliseconds(800), throttle.LastWriterP99);
        Assert.Equal("the writers report a p99 of 800 ms (--max-writer-p99-ms 200)", throttle.WaitingFor);

        _probe.WriterP99 = TimeSpan.FromMilliseconds(20);
        _time.Advance(s_backoff);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromMilliseconds(20), throttle.LastWriterP99);

        // No running writer reports a figure: nothing to hold back for.
        _probe.WriterP99 = null;
        _time.Advance(TimeSpan.FromSeconds(1));
        await throttle.WaitAsync(rowsDone: 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(throttle.LastWriterP99);
        Assert.Equal(4, _probe.P99Reads);
    }

    [Fact]
    public async Task SaysEveryLimitThatIsExceededAtOnce()
    {
        _probe.Lag = TimeSpan.FromSeconds(9);
        _probe.ThreadsRunning = 50;
        _probe.WriterP99 = TimeSpan.FromSeconds(2);
        var throttle = NewThrottle(new CopyThrottleOptions { MaxWriterP99 = TimeSpan.FromSeconds(1) });

        var wait = throttle.WaitAsync(rowsDone: 0, CancellationToken.None);
        await HoldsBackAsync(wait, () => _probe.P99Reads, reads: 1);
        Assert.Equal(
            "replica r1 of cluster c1 lags 9.0 s (--max-replica-lag 5 s); the primary of cluster c0 runs 50 threads (--max-threads-running 32); the writers report a p99 of 2000 ms (--max-writer-p99-ms 1000)",
            throttle.WaitingFor);

        // One limit still exceeded keeps it waiting.
        _probe.Lag = TimeSpan.Zero;
        _probe.WriterP99 = null;
        await HoldsBackAsync(wait, () => _probe.P99Reads, reads: 3);
        Assert.Equal("the primary of cluster c0 runs 50 threads (--max-threads-running 32)", throttle.WaitingFor);

        _probe.ThreadsRunning = 3;
        _time.Advance(s_backoff);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(throttle.WaitingFor);
    }

    [Fact]
    public async Task ReportsAWaitWhenItStartsAndEveryFiveSecondsWhileItLasts()
    {
        _probe.Lag = TimeSpan.FromSeconds(30);
        var throttle = NewThrottle(new CopyThrottleOptions { MaxThreadsRunning = null });

        var wait = throttle.WaitAsync(rowsDone: 0, CancellationToken.None);
        await HoldsBackAsync(wait, () => _probe.LagReads, reads: 20); // 4.75 s
        Assert.Single(_reported);
        await HoldsBackAsync(wait, () => _probe.LagReads, reads: 21); // 5 s
        Assert.Equal(2, _reported.Count);
        Assert.StartsWith("copy waiting (5.0 s so far): replica r1 of cluster c1 lags 30.0 s", _reported[1], StringComparison.Ordinal);

        _probe.Lag = TimeSpan.Zero;
        _time.Advance(s_backoff);
        await wait.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ReadsTheLoadAtMostOncePerCheckInterval()
    {
        var throttle = NewThrottle(new CopyThrottleOptions { MaxWriterP99 = TimeSpan.FromSeconds(1) });

        await throttle.WaitAsync(rowsDone: 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        await throttle.WaitAsync(rowsDone: 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((1, 1, 1), (_probe.LagReads, _probe.ThreadReads, _probe.P99Reads));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await throttle.WaitAsync(rowsDone: 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal((2, 2, 2), (_probe.LagReads, _probe.ThreadReads, _probe.P99Reads));
        Assert.Equal(TimeSpan.Zero, throttle.Throttled);
    }

    [Fact]
    public async Task ALimitThatIsNullIsNeverRead()
    {
        _probe.Lag = TimeSpan.FromHours(1);
        _probe.ThreadsRunning = 10_000;
        _probe.WriterP99 = TimeSpan.FromMinutes(1);
        var throttle = NewThrottle(new CopyThrottleOptions { MaxReplicaLag = null, MaxThreadsRunning = null, MaxWriterP99 = null });

        await throttle.WaitAsync(rowsDone: 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((0, 0, 0), (_probe.LagReads, _probe.ThreadReads, _probe.P99Reads));
        Assert.Null(throttle.LastThreadsRunning);
    }

    [Fact]
    public async Task TheCapSpacesChunksSoTheCopyNeverRunsAheadOfItsRate()
    {
        var throttle = NewThrottle(new CopyThrottleOptions { RowsPerSecond = 100, MaxReplicaLag = null, MaxThreadsRunning = null });

        // The first chunk goes at once.
        await throttle.WaitAsync(rowsDone: 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        // 50 rows copied in no time: the next chunk is due at 0.5 s.
        var second = throttle.WaitAsync(rowsDone: 50, CancellationToken.None);
        Assert.Equal("the cap of 100 rows/s", throttle.WaitingFor);
        _time.Advance(TimeSpan.FromMilliseconds(499));
        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(throttle.WaitingFor);

        // 50 more at 0.5 s: due at 1 s.
        var third = throttle.WaitAsync(rowsDone: 100, CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(400));
        await Task.Delay(50);
        Assert.False(third.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await third.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.Throttled);

        // A chunk that took longer than its share: the next one goes at once.
        _time.Advance(TimeSpan.FromSeconds(2));
        await throttle.WaitAsync(rowsDone: 150, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.Throttled);
    }

    [Fact]
    public async Task NoCapWhenRowsPerSecondIsZero()
    {
        var throttle = NewThrottle(new CopyThrottleOptions { RowsPerSecond = 0, MaxReplicaLag = null, MaxThreadsRunning = null });

        await throttle.WaitAsync(rowsDone: 1_000_000, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(TimeSpan.Zero, throttle.Throttled);
    }

    [Fact]
    public async Task AWaitEndsWhenTheCopyIsCancelled()
    {
        _probe.ThreadsRunning = 1000;
        var throttle = NewThrottle(new CopyThrottleOptions());
        using var cancellation = new CancellationTokenSource();

        var wait = throttle.WaitAsync(rowsDone: 0, cancellation.Token);
        await HoldsBackAsync(wait, () => _probe.ThreadReads, reads: 1);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void TheDefaultsAreValidAndCheckLagAndThreadsButNotTheWritersP99OrARate()
    {
        var defaults = new CopyThrottleOptions();

        Assert.Equal(TimeSpan.FromSeconds(5), defaults.MaxReplicaLag);
        Assert.Equal(32, defaults.MaxThreadsRunning);
        Assert.Null(defaults.MaxWriterP99);
        Assert.Equal(0, defaults.RowsPerSecond);
        _ = NewThrottle(defaults);
    }

    [Theory]
    [InlineData("MaxReplicaLag", "CopyThrottleOptions.MaxReplicaLag is -00:00:01; it must be from 0 to 1 day (or null to not check).")]
    [InlineData("MaxThreadsRunning", "CopyThrottleOptions.MaxThreadsRunning is 0; it must be from 1 to 100000 (or null to not check).")]
    [InlineData("MaxWriterP99", "CopyThrottleOptions.MaxWriterP99 is 00:00:00; it must be more than zero and at most 1 minute (or null to not check).")]
    [InlineData("RowsPerSecond", "CopyThrottleOptions.RowsPerSecond is -1; it must be 0 (no cap) or more.")]
    [InlineData("CheckInterval", "CopyThrottleOptions.CheckInterval is 00:00:00; it must be more than zero and at most 1 minute.")]
    [InlineData("Backoff", "CopyThrottleOptions.Backoff is 00:02:00; it must be more than zero and at most 1 minute.")]
    public void AnOptionOutOfRangeIsRefusedWithItsName(string option, string message)
    {
        var options = option switch
        {
            "MaxReplicaLag" => new CopyThrottleOptions { MaxReplicaLag = TimeSpan.FromSeconds(-1) },
            "MaxThreadsRunning" => new CopyThrottleOptions { MaxThreadsRunning = 0 },
            "MaxWriterP99" => new CopyThrottleOptions { MaxWriterP99 = TimeSpan.Zero },
            "RowsPerSecond" => new CopyThrottleOptions { RowsPerSecond = -1 },
            "CheckInterval" => new CopyThrottleOptions { CheckInterval = TimeSpan.Zero },
            _ => new CopyThrottleOptions { Backoff = TimeSpan.FromMinutes(2) },
        };

        var refused = Assert.ThrowsAny<ArgumentException>(() => NewThrottle(options));

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
    }

    private CopyThrottle NewThrottle(CopyThrottleOptions options) => new(options, _probe, _time, _reported.Add);

    /// <summary>
    /// Advances the clock one backoff at a time until the throttle has read the figure <paramref name="reads"/> times, and
    /// checks that the wait never ended.
    /// </summary>
    private async Task HoldsBackAsync(Task wait, Func<int> readCount, int reads)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (readCount() < reads)
        {
            Assert.False(wait.IsCompleted, "the throttle let the chunk go while a limit was exceeded");
            var before = readCount();
            _time.Advance(s_backoff);
            while (readCount() == before)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the throttle read the load {readCount()} times, not {reads}");
                await Task.Delay(2);
            }

            // Let the throttle reach its next wait (it reads the load, then starts the backoff timer).
            await Task.Delay(20);
        }

        Assert.False(wait.IsCompleted, "the throttle let the chunk go while a limit was exceeded");
    }
}

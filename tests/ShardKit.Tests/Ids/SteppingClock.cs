namespace ShardKit.Tests.Ids;

/// <summary>
/// A manually driven clock for what <c>FakeTimeProvider</c> cannot do: wall-clock steps backwards (the ID generator's
/// clock-regression tests) and a count of armed timers. <see cref="Advance"/> moves both the wall clock and the monotonic timestamp forward
/// and fires due timers; <see cref="SetUtcNow"/> moves only the wall clock (to simulate clock steps, including
/// backwards). With <see cref="AutoAdvance"/> set, every wall-clock read moves time forward by that amount.
/// </summary>
internal sealed class SteppingClock : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<FakeTimer> _timers = [];
    private DateTimeOffset _utcNow;
    private long _elapsedTicks;

    public SteppingClock(DateTimeOffset start)
    {
        _utcNow = start;
    }

    public TimeSpan AutoAdvance { get; set; }

    /// <summary>How many timers are waiting to fire (for example pending <c>Task.Delay</c>s).</summary>
    public int ArmedTimerCount
    {
        get
        {
            lock (_lock)
            {
                return _timers.Count(timer => timer.DueAt is not null);
            }
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override DateTimeOffset GetUtcNow()
    {
        DateTimeOffset now;
        lock (_lock)
        {
            now = _utcNow;
        }

        if (AutoAdvance > TimeSpan.Zero)
        {
            Advance(AutoAdvance);
        }

        return now;
    }

    public override long GetTimestamp()
    {
        lock (_lock)
        {
            return _elapsedTicks;
        }
    }

    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_lock)
        {
            _utcNow = value;
        }
    }

    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long target;
        lock (_lock)
        {
            _utcNow += delta;
            _elapsedTicks += delta.Ticks;
            target = _elapsedTicks;
        }

        // Fire due timers one at a time, outside the lock, in due order.
        while (true)
        {
            FakeTimer? due = null;
            lock (_lock)
            {
                foreach (var timer in _timers)
                {
                    if (timer.DueAt is { } at && at <= target && (due is null || at < due.DueAt))
                    {
                        due = timer;
                    }
                }

                if (due is null)
                {
                    return;
                }

                due.DueAt = due.Period is { } period ? due.DueAt + period.Ticks : null;
            }

            due.Fire();
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new FakeTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_lock)
        {
            _timers.Add(timer);
        }

        return timer;
    }

    private sealed class FakeTimer(SteppingClock owner, TimerCallback callback, object? state) : ITimer
    {
        public long? DueAt { get; set; }

        public TimeSpan? Period { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._lock)
            {
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : owner._elapsedTicks + Math.Max(0, dueTime.Ticks);
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._lock)
            {
                DueAt = null;
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

namespace ShardKit.Resilience;

/// <summary>
/// A consecutive-failure circuit breaker for one endpoint: it opens after <c>breakAfter</c> failed opens in a row, refuses
/// calls for <c>breakDuration</c>, then lets one trial call through (half-open) whose outcome closes or re-opens it.
/// </summary>
internal sealed class CircuitBreaker
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly int _breakAfter;
    private readonly TimeSpan _breakDuration;
    private volatile CircuitState _state;
    private int _failures;
    private long _openedAt;
    private bool _trialInFlight;

    public CircuitBreaker(int breakAfter, TimeSpan breakDuration, TimeProvider time)
    {
        _breakAfter = breakAfter;
        _breakDuration = breakDuration;
        _time = time;
    }

    /// <summary>The state as callers would see it now (an open breaker whose break has elapsed reads as half-open).</summary>
    public CircuitState State
    {
        get
        {
            lock (_lock)
            {
                return _state == CircuitState.Open && _time.GetElapsedTime(_openedAt) >= _breakDuration ? CircuitState.HalfOpen : _state;
            }
        }
    }

    /// <summary>How long the breaker still refuses calls; zero when it is closed or a trial may go through.</summary>
    public TimeSpan RemainingBreak
    {
        get
        {
            lock (_lock)
            {
                return _state == CircuitState.Open ? (_breakDuration - _time.GetElapsedTime(_openedAt)) is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero : TimeSpan.Zero;
            }
        }
    }

    /// <summary>Whether a call may go through now; <paramref name="isTrial"/> is set for the half-open trial call.</summary>
    public bool TryAcquire(out bool isTrial)
    {
        isTrial = false;
        if (_state == CircuitState.Closed)
        {
            return true;
        }

        lock (_lock)
        {
            switch (_state)
            {
                case CircuitState.Closed:
                    return true;
                case CircuitState.Open when _time.GetElapsedTime(_openedAt) < _breakDuration:
                    return false;
                case CircuitState.Open:
                    _state = CircuitState.HalfOpen;
                    _trialInFlight = true;
                    isTrial = true;
                    return true;
                default:
                    if (_trialInFlight)
                    {
                        return false;
                    }

                    _trialInFlight = true;
                    isTrial = true;
                    return true;
            }
        }
    }

    /// <summary>Whether calls would be refused now, without taking the trial slot.</summary>
    public bool IsRefusing
    {
        get
        {
            if (_state == CircuitState.Closed)
            {
                return false;
            }

            lock (_lock)
            {
                return _state switch
                {
                    CircuitState.Open => _time.GetElapsedTime(_openedAt) < _breakDuration,
                    CircuitState.HalfOpen => _trialInFlight,
                    _ => false,
                };
            }
        }
    }

    /// <summary>Records a successful call; returns true when this closed a breaker that was not closed.</summary>
    public bool OnSuccess()
    {
        if (_state == CircuitState.Closed && Volatile.Read(ref _failures) == 0)
        {
            return false;
        }

        lock (_lock)
        {
            var wasClosed = _state == CircuitState.Closed;
            _failures = 0;
            _trialInFlight = false;
            _state = CircuitState.Closed;
            return !wasClosed;
        }
    }

    /// <summary>Records a failed call; returns true when this opened the breaker.</summary>
    public bool OnFailure()
    {
        lock (_lock)
        {
            if (_state == CircuitState.HalfOpen)
            {
                _trialInFlight = false;
                _state = CircuitState.Open;
                _openedAt = _time.GetTimestamp();
                return true;
            }

            if (_state == CircuitState.Open)
            {
                return false;
            }

            _failures++;
            if (_failures < _breakAfter)
            {
                return false;
            }

            _state = CircuitState.Open;
            _openedAt = _time.GetTimestamp();
            return true;
        }
    }

    /// <summary>Gives the trial slot back when the trial call ended without reaching the endpoint (for example it was shed).</summary>
    public void OnAbandoned(bool isTrial)
    {
        if (!isTrial)
        {
            return;
        }

        lock (_lock)
        {
            _trialInFlight = false;
        }
    }
}

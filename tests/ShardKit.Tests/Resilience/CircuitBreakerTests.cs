using Microsoft.Extensions.Time.Testing;
using ShardKit.Resilience;

namespace ShardKit.Tests.Resilience;

public sealed class CircuitBreakerTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public void OpensAfterConsecutiveFailuresOnly()
    {
        var breaker = new CircuitBreaker(3, TimeSpan.FromSeconds(5), _time);

        Assert.False(breaker.OnFailure());
        Assert.False(breaker.OnFailure());
        breaker.OnSuccess();
        Assert.False(breaker.OnFailure());
        Assert.False(breaker.OnFailure());
        Assert.True(breaker.OnFailure());

        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryAcquire(out _));
        Assert.True(breaker.IsRefusing);
    }

    [Fact]
    public void AfterTheBreakLetsOneTrialThroughWhoseSuccessClosesIt()
    {
        var breaker = Opened();
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.True(breaker.TryAcquire(out var trial));
        Assert.True(trial);
        Assert.False(breaker.TryAcquire(out _));

        Assert.True(breaker.OnSuccess());
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryAcquire(out var notTrial));
        Assert.False(notTrial);
    }

    [Fact]
    public void AFailedTrialReopensItForAnotherBreak()
    {
        var breaker = Opened();
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(breaker.TryAcquire(out _));

        Assert.True(breaker.OnFailure());

        Assert.False(breaker.TryAcquire(out _));
        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(breaker.TryAcquire(out _));
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(breaker.TryAcquire(out _));
    }

    [Fact]
    public void AnAbandonedTrialFreesTheTrialSlot()
    {
        var breaker = Opened();
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(breaker.TryAcquire(out var trial));

        breaker.OnAbandoned(trial);

        Assert.True(breaker.TryAcquire(out var again));
        Assert.True(again);
    }

    private CircuitBreaker Opened()
    {
        var breaker = new CircuitBreaker(1, TimeSpan.FromSeconds(5), _time);
        Assert.True(breaker.OnFailure());
        return breaker;
    }
}

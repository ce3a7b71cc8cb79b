using ShardKit.Replication;

namespace ShardKit.Tests.Replication;

public sealed class HeartbeatLagTests
{
    private const long Second = 1_000_000;

    [Fact]
    public void AReplicaShowingTheNewestHeartbeatHasNoLag()
    {
        var history = new HeartbeatHistory();
        history.Add(10 * Second);
        history.Add(11 * Second);

        Assert.Equal(0, history.LagMilliseconds(11 * Second, (11 * Second) + 3_000));
    }

    [Fact]
    public void LagIsHowLongTheOldestUnappliedHeartbeatHasBeenWaiting()
    {
        var history = new HeartbeatHistory();
        for (var i = 0; i < 20; i++)
        {
            history.Add((100 * Second) + (i * 250_000));
        }

        // The replica shows the heartbeat written at 101.00 s; the next one (101.25 s) is missing; the primary now reads 104.75 s.
        var lag = history.LagMilliseconds(101 * Second, (104 * Second) + 750_000);

        Assert.Equal(3_500, lag);
    }

    [Fact]
    public void AStaleRowFromBeforeThisProcessCountsFromTheFirstHeartbeatWritten()
    {
        var history = new HeartbeatHistory();
        history.Add(500 * Second);

        // A row left by an earlier run hours ago does not make a healthy replica look hours behind.
        Assert.Equal(20, history.LagMilliseconds(1 * Second, (500 * Second) + 20_000));
    }

    [Fact]
    public void BeyondTheKeptHistoryTheReplicasOwnValueBoundsTheLag()
    {
        var history = new HeartbeatHistory();
        for (var i = 0; i < HeartbeatHistory.Capacity + 10; i++)
        {
            history.Add((1000 * Second) + (i * Second));
        }

        var now = (1000 * Second) + ((HeartbeatHistory.Capacity + 10) * Second);

        Assert.Equal(now / 1000, history.LagMilliseconds(0, now));
    }
}

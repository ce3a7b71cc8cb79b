using ShardKit.Replication;

namespace ShardKit.Tests.Replication;

public sealed class ReplicaHealthStateTests
{
    private static readonly ReplicaHealthOptions s_options = new()
    {
        EjectLag = TimeSpan.FromSeconds(2),
        ReadmitLag = TimeSpan.FromMilliseconds(500),
        EjectAfterFailures = 3,
        ReadmitAfterProbes = 3,
    };

    [Fact]
    public void IsEjectedAboveTheEjectLagAndReadmittedOnlyAfterConsecutiveProbesBelowTheReadmitLag()
    {
        var health = new ReplicaHealth();

        Assert.Equal(HealthTransition.None, health.RecordLag(1_900, s_options));
        Assert.Equal(HealthTransition.Ejected, health.RecordLag(2_100, s_options));
        Assert.Equal(HealthTransition.None, health.RecordLag(400, s_options));
        Assert.Equal(HealthTransition.None, health.RecordLag(400, s_options));
        Assert.Equal(HealthTransition.None, health.RecordLag(700, s_options)); // between the thresholds: the count restarts
        Assert.Equal(HealthTransition.None, health.RecordLag(100, s_options));
        Assert.Equal(HealthTransition.None, health.RecordLag(100, s_options));
        Assert.True(health.IsEjected);
        Assert.Equal(HealthTransition.Readmitted, health.RecordLag(100, s_options));
        Assert.False(health.IsEjected);
    }

    [Fact]
    public void IsEjectedAfterConsecutiveFailedProbesOnly()
    {
        var health = new ReplicaHealth();

        health.RecordFailure(s_options);
        health.RecordFailure(s_options);
        health.RecordLag(10, s_options);
        Assert.Equal(HealthTransition.None, health.RecordFailure(s_options));
        Assert.Equal(HealthTransition.None, health.RecordFailure(s_options));
        Assert.Equal(HealthTransition.Ejected, health.RecordFailure(s_options));
        Assert.Equal(HealthTransition.None, health.RecordFailure(s_options));
    }

    [Fact]
    public void AMaximumLagExcludesReplicasOverItAndReplicasNotMeasuredYet()
    {
        var health = new ReplicaHealth();

        Assert.True(health.IsEligible(-1));
        Assert.False(health.IsEligible(1_000));
        health.RecordLag(300, s_options);
        Assert.True(health.IsEligible(300));
        Assert.False(health.IsEligible(299));
    }
}

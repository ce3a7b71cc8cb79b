using System.Collections.Concurrent;
using ShardKit.Replication;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Replication;

/// <summary>The heartbeat prober on its own, over the routing state it is given: heartbeat writes, lag, ejection and the timer.</summary>
public sealed class HeartbeatProberTests : IDisposable
{
    private const long Second = 1_000_000;
    private static readonly string s_primary = TestTopologies.Endpoint(3310);
    private static readonly string s_replica = TestTopologies.Endpoint(3311);
    private readonly ConcurrentDictionary<string, long> _shown = new();
    private readonly Collaborators _rig = new(TestTopologies.DevUp(clusters: 1));
    private long _primaryClock = 100 * Second;

    public HeartbeatProberTests()
    {
        _rig.Server.Scalar = (connectionString, sql) => sql switch
        {
            Heartbeat.PrimaryClock => Volatile.Read(ref _primaryClock),
            Heartbeat.Read => _shown.TryGetValue(connectionString, out var value) ? value : null,
            _ => null,
        };
    }

    private EndpointState Replica => _rig.State.Replicas[0][0];

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task ARoundWritesTheHeartbeatOnThePrimaryAndMeasuresLagFromTheOldestHeartbeatTheReplicaHasNotShown()
    {
        using var prober = CreateProber();

        await ProbeAsync(prober, clockSeconds: 100, replicaShows: 100);
        await ProbeAsync(prober, clockSeconds: 102, replicaShows: 100);
        await ProbeAsync(prober, clockSeconds: 102.5, replicaShows: 100);

        Assert.Contains((s_primary, Heartbeat.Write(102 * Second)), _rig.Server.Executed);
        Assert.Equal(500, Replica.Health.LagMilliseconds);
        Assert.False(Replica.Health.IsEjected);
    }

    [Fact]
    public async Task AReplicaThatFailsConsecutiveProbesIsEjected()
    {
        using var prober = CreateProber();
        _rig.Server.Down[s_replica] = true;

        for (var i = 0; i < _rig.State.Health.EjectAfterFailures; i++)
        {
            await ProbeAsync(prober, clockSeconds: 100 + i, replicaShows: 100 + i);
        }

        Assert.True(Replica.Health.IsEjected);
    }

    [Fact]
    public async Task TheTimerRunsARoundEveryInterval()
    {
        using var prober = CreateProber();
        prober.Start(TimeSpan.FromSeconds(1));

        for (var i = 0; i < 500 && _rig.Server.Executed.Count(e => e.Sql == Heartbeat.Read) < 2; i++)
        {
            _rig.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        Assert.True(_rig.Server.Executed.Count(e => e.Sql == Heartbeat.Read) >= 2);
    }

    private HeartbeatProber CreateProber() => new(() => _rig.State, _rig.Connector, _rig.Metrics, _rig.Logger, _rig.Time);

    private async Task ProbeAsync(HeartbeatProber prober, double clockSeconds, double replicaShows)
    {
        Volatile.Write(ref _primaryClock, (long)(clockSeconds * Second));
        _shown[s_replica] = (long)(replicaShows * Second);
        await prober.ProbeAsync(CancellationToken.None);
    }
}

using ShardKit.Replication;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Replication;

/// <summary>The replica router on its own: which server serves a read, lag limits, ejection, breakers, fallbacks and the causal wait.</summary>
public sealed class ReplicaRouterTests : IDisposable
{
    private const string WaitPrefix = "SELECT MASTER_GTID_WAIT(";
    private static readonly string s_primary = TestTopologies.Endpoint(3310);
    private static readonly string s_replicaA = TestTopologies.Endpoint(3311);
    private static readonly string s_replicaB = TestTopologies.Endpoint(3320);
    private readonly Collaborators _rig;
    private readonly ReplicaHealthOptions _health;

    public ReplicaRouterTests()
    {
        _health = new ReplicaHealthOptions { HeartbeatInterval = TimeSpan.Zero, FallbackShare = 0.01, FallbackBurst = 1 };
        _rig = new Collaborators(new ShardKitOptions
        {
            ReplicaHealth = _health,
            Clusters = [new ShardClusterOptions { Name = "c0", Primary = s_primary, Replicas = [s_replicaA, s_replicaB] }],
        });
    }

    private EndpointState ReplicaA => _rig.State.Replicas[0][0];

    private EndpointState ReplicaB => _rig.State.Replicas[0][1];

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task PrimaryPreferenceOpensThePrimary()
    {
        Assert.Equal(s_primary, await ServerOfAsync(ReadPreference.Primary));
    }

    [Fact]
    public async Task EveryHealthyReplicaServesReadsAndThePrimaryNone()
    {
        var servers = await ServersOfAsync(ReadOptions.Default, 6);

        Assert.Equal([s_replicaA, s_replicaB], servers.Distinct().Order());
    }

    [Fact]
    public async Task AnEjectedReplicaServesNoRead()
    {
        for (var i = 0; i < _health.EjectAfterFailures; i++)
        {
            ReplicaA.Health.RecordFailure(_health);
        }

        Assert.True(ReplicaA.Health.IsEjected);
        Assert.All(await ServersOfAsync(ReadOptions.Default, 4), s => Assert.Equal(s_replicaB, s));
    }

    [Fact]
    public async Task AReadWithAMaximumLagSkipsReplicasBehindItOrNotMeasured()
    {
        ReplicaA.Health.RecordLag(400, _health);
        var limited = new ReadOptions { MaxLag = TimeSpan.FromMilliseconds(100) };

        Assert.Equal(s_primary, await ServerOfAsync(limited));

        ReplicaB.Health.RecordLag(50, _health);
        Assert.All(await ServersOfAsync(limited, 4), s => Assert.Equal(s_replicaB, s));
    }

    [Fact]
    public async Task AReplicaBehindAnOpenBreakerIsSkipped()
    {
        for (var i = 0; i < ReplicaA.Guard.BreakAfterFailures; i++)
        {
            ReplicaA.Guard.Breaker.OnFailure();
        }

        Assert.All(await ServersOfAsync(ReadOptions.Default, 4), s => Assert.Equal(s_replicaB, s));
    }

    [Fact]
    public async Task AReplicaThatCannotBeOpenedHandsTheReadToTheNextOne()
    {
        _rig.Server.Down[s_replicaA] = true;

        Assert.All(await ServersOfAsync(ReadOptions.Default, 4), s => Assert.Equal(s_replicaB, s));
    }

    [Fact]
    public async Task TheReplicaWithFewerConnectionsHeldServesTheNextRead()
    {
        await using var held = await _rig.Replicas.OpenAsync(_rig.State, _rig.UserSlot(1), ReadOptions.Default, CancellationToken.None);
        var other = held.Connection.ConnectionString == s_replicaA ? s_replicaB : s_replicaA;

        await using var next = await _rig.Replicas.OpenAsync(_rig.State, _rig.UserSlot(2), ReadOptions.Default, CancellationToken.None);

        Assert.Equal(other, next.Connection.ConnectionString);
    }

    [Fact]
    public async Task WithNoEligibleReplicaPreferReplicaFallsBackToThePrimaryWithinTheCap()
    {
        EjectBoth();

        Assert.Equal(s_primary, await ServerOfAsync(ReadOptions.Default));
        var capped = await Assert.ThrowsAsync<ShardKitException>(() => ServerOfAsync(ReadOptions.Default));

        Assert.Equal(ShardKitErrorCode.ShardUnavailable, capped.ErrorCode);
        Assert.Contains("FallbackShare", capped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithNoEligibleReplicaReplicaOnlyThrowsShardUnavailable()
    {
        EjectBoth();

        var ex = await Assert.ThrowsAsync<ShardKitException>(() => ServerOfAsync(ReadPreference.ReplicaOnly));

        Assert.Equal(ShardKitErrorCode.ShardUnavailable, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.Equal(_rig.UserSlot(1).Name, ex.Shard);
    }

    [Fact]
    public async Task ACausalTokenTheReplicaHasAppliedKeepsTheReadOnTheReplica()
    {
        // The fake replicas report the token's GTID applied only when waited for with the configured wait (50 ms).
        _rig.Server.Scalar = (_, sql) => sql == "SELECT MASTER_GTID_WAIT('0-1-42', 0.05)" ? 0L : sql.StartsWith(WaitPrefix, StringComparison.Ordinal) ? -1L : null;

        var server = await ServerOfAsync(new ReadOptions { CausalToken = CausalToken.Parse("0-1-42@c0") });

        Assert.Contains(server, new[] { s_replicaA, s_replicaB });
    }

    [Fact]
    public async Task ACausalTokenNoReplicaAppliesInTimeIsServedByThePrimaryEvenOverTheCap()
    {
        _rig.Server.Scalar = (_, sql) => sql.StartsWith(WaitPrefix, StringComparison.Ordinal) ? -1L : null;
        var token = new ReadOptions { CausalToken = CausalToken.Parse("0-1-42@c0") };

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(s_primary, await ServerOfAsync(token));
        }

        // Each read asked both replicas once before going to the primary.
        Assert.Equal(6, _rig.Server.Executed.Count(e => e.Sql.StartsWith(WaitPrefix, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task TheTokenOfTheFlowsReadYourWritesScopeIsWaitedFor()
    {
        // No replica ever applies a token in time: a read that waits for one ends on the primary.
        _rig.Server.Scalar = (_, sql) => sql.StartsWith(WaitPrefix, StringComparison.Ordinal) ? -1L : null;

        using (_rig.Ambient.BeginReadYourWrites())
        {
            _rig.Ambient.RecordWrite(new CausalToken("c0", "0-1-77"));
            Assert.Equal(s_primary, await ServerOfAsync(ReadOptions.Default));
        }

        Assert.NotEqual(s_primary, await ServerOfAsync(ReadOptions.Default));
    }

    [Fact]
    public async Task ATokenOfAnotherClusterIsNotWaitedFor()
    {
        // A wait would never succeed here, so a read that waited would end on the primary.
        _rig.Server.Scalar = (_, sql) => sql.StartsWith(WaitPrefix, StringComparison.Ordinal) ? -1L : null;

        var server = await ServerOfAsync(new ReadOptions { CausalToken = CausalToken.Parse("0-1-42@c9") });

        Assert.NotEqual(s_primary, server);
    }

    [Theory]
    [InlineData((ReadPreference)7, null)]
    [InlineData(ReadPreference.PreferReplica, -1)]
    public void ValidateRejectsAnUndefinedPreferenceOrANegativeMaximumLag(ReadPreference preference, int? maxLagMilliseconds)
    {
        var options = new ReadOptions { Preference = preference, MaxLag = maxLagMilliseconds is { } ms ? TimeSpan.FromMilliseconds(ms) : null };

        Assert.Throws<ArgumentOutOfRangeException>(() => ReplicaRouter.Validate(options));
    }

    private void EjectBoth()
    {
        for (var i = 0; i < _health.EjectAfterFailures; i++)
        {
            ReplicaA.Health.RecordFailure(_health);
            ReplicaB.Health.RecordFailure(_health);
        }
    }

    private async Task<string> ServerOfAsync(ReadOptions options)
    {
        await using var shard = await _rig.Replicas.OpenAsync(_rig.State, _rig.UserSlot(1), options, CancellationToken.None);
        return shard.Connection.ConnectionString;
    }

    private async Task<List<string>> ServersOfAsync(ReadOptions options, int reads)
    {
        var servers = new List<string>();
        for (var i = 0; i < reads; i++)
        {
            servers.Add(await ServerOfAsync(options));
        }

        return servers;
    }
}

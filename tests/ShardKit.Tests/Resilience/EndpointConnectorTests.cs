using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Resilience;

/// <summary>The endpoint connector on its own: gate slots, the breaker, overload, cluster and legacy connections.</summary>
public sealed class EndpointConnectorTests : IDisposable
{
    private static readonly string s_primary = TestTopologies.Endpoint(3310);
    private readonly Collaborators _rig = new(new ShardKitOptions
    {
        ReplicaHealth = TestTopologies.NoProbing(),
        Resilience = new EndpointResilienceOptions { BreakAfterFailures = 2, BreakDuration = TimeSpan.FromSeconds(5), MaxConcurrency = 2, QueueLimit = 0, NonEssentialShare = 0.5 },
        Clusters = [new ShardClusterOptions { Name = "c0", Primary = s_primary }],
    });

    private EndpointState Primary => _rig.State.Primaries[0];

    private ShardSlot Slot => _rig.UserSlot(1);

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task AnOpenHoldsAGateSlotUntilTheConnectionIsDisposed()
    {
        var shard = await _rig.Connector.OpenAsync(Slot, Primary, ShardIntent.Write, nonEssential: false, CancellationToken.None);

        Assert.Equal(s_primary, shard.Connection.ConnectionString);
        Assert.Equal(1, Primary.Guard.Gate.InUse);
        Assert.Equal(1, Primary.Outstanding);

        await shard.DisposeAsync();
        await shard.DisposeAsync();

        Assert.Equal(0, Primary.Guard.Gate.InUse);
        Assert.Equal(0, Primary.Outstanding);
    }

    [Fact]
    public async Task AfterConsecutiveFailedOpensTheBreakerRefusesWithoutContactingTheServer()
    {
        _rig.Server.Down[s_primary] = true;
        for (var i = 0; i < 2; i++)
        {
            var failed = await Assert.ThrowsAsync<ShardKitException>(() => OpenAsync());
            Assert.Contains("Unable to connect", failed.Message, StringComparison.Ordinal);
        }

        _rig.Server.Down.Clear();
        var opened = _rig.Server.Opened;

        var refused = await Assert.ThrowsAsync<ShardKitException>(() => OpenAsync());

        Assert.Equal(ShardKitErrorCode.ShardUnavailable, refused.ErrorCode);
        Assert.Contains("circuit breaker", refused.Message, StringComparison.Ordinal);
        Assert.Equal(opened, _rig.Server.Opened);
        Assert.Equal(0, Primary.Guard.Gate.InUse);

        _rig.Time.Advance(TimeSpan.FromSeconds(5));
        await using (await _rig.Connector.OpenAsync(Slot, Primary, ShardIntent.Write, nonEssential: false, CancellationToken.None))
        {
        }

        Assert.False(Primary.Guard.Breaker.IsRefusing);
    }

    [Fact]
    public async Task AFullGateRejectsWithOverloadedAndShedsNonEssentialOpensFirst()
    {
        await using var first = await _rig.Connector.OpenAsync(Slot, Primary, ShardIntent.Write, nonEssential: false, CancellationToken.None);

        var shed = await Assert.ThrowsAsync<ShardKitException>(async () =>
            await _rig.Connector.OpenAsync(Slot, Primary, ShardIntent.Read, nonEssential: true, CancellationToken.None));
        Assert.Equal(ShardKitErrorCode.Overloaded, shed.ErrorCode);
        Assert.Contains("non-essential", shed.Message, StringComparison.Ordinal);

        await using var second = await _rig.Connector.OpenAsync(Slot, Primary, ShardIntent.Write, nonEssential: false, CancellationToken.None);
        var rejected = await Assert.ThrowsAsync<ShardKitException>(() => OpenAsync());

        Assert.Equal(ShardKitErrorCode.Overloaded, rejected.ErrorCode);
        Assert.Equal(2, Primary.Guard.Gate.InUse);
    }

    [Fact]
    public async Task AFailedOpenGivesItsGateSlotBack()
    {
        _rig.Server.Down[s_primary] = true;

        await Assert.ThrowsAsync<ShardKitException>(() => OpenAsync());

        Assert.Equal(0, Primary.Guard.Gate.InUse);
        Assert.Equal(0, Primary.Outstanding);
    }

    [Fact]
    public async Task AClusterConnectionThatCannotBeOpenedIsShardUnavailableNamingTheCluster()
    {
        _rig.Server.Down[s_primary] = true;

        var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await _rig.Connector.OpenClusterAsync(_rig.State.Map.Clusters[0], CancellationToken.None));

        Assert.Equal(ShardKitErrorCode.ShardUnavailable, ex.ErrorCode);
        Assert.Contains("cluster 'c0'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTopologies.Password, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutALegacyEndpointALegacyConnectionIsInvalidTopology()
    {
        var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await _rig.Connector.OpenLegacyAsync(legacy: null, CancellationToken.None));

        Assert.Equal(ShardKitErrorCode.InvalidTopology, ex.ErrorCode);
    }

    private async Task OpenAsync()
    {
        await using var shard = await _rig.Connector.OpenAsync(Slot, Primary, ShardIntent.Write, nonEssential: false, CancellationToken.None);
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MySqlConnector;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Connections;

/// <summary>The endpoint table on its own: one state and one lazily created pool per endpoint, defaults, closing.</summary>
public sealed class EndpointPoolsTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    [Fact]
    public void EachEndpointHasOneStateSharedByEveryCallerAndItsPoolIsCreatedOnFirstUse()
    {
        var pools = Create(applyDriverDefaults: false);
        var endpoint = Endpoint(TestTopologies.Endpoint(3310));

        var first = pools.Get(endpoint, "c0", isReplica: false);
        var again = pools.Get(Endpoint(TestTopologies.Endpoint(3310)), "c0", isReplica: false);

        Assert.Same(first, again);
        Assert.Empty(_provider.DataSources);
        Assert.Same(first.Pool, again.Pool);
        Assert.Equal([TestTopologies.Endpoint(3310)], _provider.DataSources);
    }

    [Fact]
    public void NewPoolsTakeShardKitsDefaultsFromTheOptionsInUse()
    {
        var pools = Create(applyDriverDefaults: true);
        pools.UseOptions(new EndpointResilienceOptions { ConnectTimeout = TimeSpan.FromSeconds(3) }, new ShardConnectionOptions { MaximumPoolSize = 17 });

        _ = pools.Get(Endpoint(TestTopologies.Endpoint(3310)), "c0", isReplica: false).Pool;

        var created = new MySqlConnectionStringBuilder(Assert.Single(_provider.DataSources));
        Assert.Equal(3u, created.ConnectionTimeout);
        Assert.Equal(17u, created.MaximumPoolSize);
    }

    [Fact]
    public void NewGuardsTakeTheResilienceOptionsInUse()
    {
        var pools = Create(applyDriverDefaults: false);
        pools.UseOptions(new EndpointResilienceOptions { MaxConcurrency = 7 }, new ShardConnectionOptions());

        var state = pools.Get(Endpoint(TestTopologies.Endpoint(3310)), "c0", isReplica: false);

        Assert.Equal(7, state.Guard.Gate.Limit);
    }

    [Fact]
    public void CloseHandsBackTheCreatedPoolsOnceAndLaterLookupsThrow()
    {
        var pools = Create(applyDriverDefaults: false);
        var used = pools.Get(Endpoint(TestTopologies.Endpoint(3310)), "c0", isReplica: false);
        _ = used.Pool;
        _ = pools.Get(Endpoint(TestTopologies.Endpoint(3311)), "c0", isReplica: true);

        var closed = pools.Close();

        Assert.Single(closed);
        Assert.Empty(pools.Close());
        Assert.Throws<ObjectDisposedException>(() => pools.Get(Endpoint(TestTopologies.Endpoint(3310)), "c0", isReplica: false));
    }

    [Fact]
    public void ThePrimaryOfASlotComesFromTheStateOfItsMapOrElseFromTheTable()
    {
        using var rig = new Collaborators(TestTopologies.DevUp(clusters: 2));
        var slot = rig.UserSlot(1);
        var olderMap = ShardMap.Create(TestTopologies.DevUp(clusters: 2));
        var olderSlot = olderMap.RouteUser(1).Slot;

        Assert.Same(rig.State.Primaries[slot.Cluster.Index], rig.Pools.PrimaryOf(rig.State, slot));
        Assert.Same(rig.State.Primaries[olderSlot.Cluster.Index], rig.Pools.PrimaryOf(rig.State, olderSlot));
    }

    private static ShardEndpoint Endpoint(string connectionString) =>
        ConnectionStrings.TryParse(connectionString, out var endpoint, out var error) ? endpoint! : throw new ArgumentException(error);

    private EndpointPools Create(bool applyDriverDefaults) =>
        new(_provider.CreateDataSource, applyDriverDefaults, new FakeTimeProvider(), NullLogger.Instance);
}

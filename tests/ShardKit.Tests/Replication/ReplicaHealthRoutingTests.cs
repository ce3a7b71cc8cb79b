using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using ShardKit.Replication;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Replication;

/// <summary>Lag probing, ejection, re-admission, lag-limited reads, balancing and the fallback cap, on the fake provider and a manual clock.</summary>
public sealed class ReplicaHealthRoutingTests
{
    private const long Second = 1_000_000;
    private readonly FakeProviderFactory _provider = new(new FakeServer());
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);
    private readonly ConcurrentDictionary<string, long> _shown = new();
    private long _primaryClock = 100 * Second;

    public ReplicaHealthRoutingTests()
    {
        _provider.Server.Scalar = (connectionString, sql) => sql switch
        {
            Heartbeat.PrimaryClock => _primaryClock,
            Heartbeat.Read => _shown.TryGetValue(connectionString, out var value) ? value : null,
            _ when sql.StartsWith("SELECT MASTER_GTID_WAIT", StringComparison.Ordinal) => -1L,
            _ => null,
        };
    }

    private static string Primary => TestTopologies.Endpoint(3310);

    private static string ReplicaA => TestTopologies.Endpoint(3311);

    private static string ReplicaB => TestTopologies.Endpoint(3320);

    [Fact]
    public async Task AProbeWritesTheHeartbeatOnThePrimaryAndMeasuresEachReplicasLag()
    {
        await using var shards = Build();

        await ProbeAsync(shards, clockSeconds: 100, a: 100, b: 100);
        await ProbeAsync(shards, clockSeconds: 103, a: 100, b: 103);
        await ProbeAsync(shards, clockSeconds: 103.5, a: 100, b: 103.5);

        var executed = _provider.Server.Executed;
        Assert.Single(executed, e => e.ConnectionString == Primary && e.Sql.StartsWith("CREATE TABLE IF NOT EXISTS `shardkit`.`shardkit_heartbeat`", StringComparison.Ordinal));
        Assert.Contains((Primary, Heartbeat.Write(103 * Second)), executed);
        var statuses = shards.GetEndpointStatuses();
        Assert.Equal(TimeSpan.FromMilliseconds(500), Status(statuses, 3311).Lag);
        Assert.Equal(TimeSpan.Zero, Status(statuses, 3320).Lag);
        Assert.Null(Status(statuses, 3310).Lag);
    }

    [Fact]
    public async Task ALaggingReplicaIsEjectedAndReadmittedOnlyAfterConsecutiveGoodProbes()
    {
        await using var shards = Build();
        await ProbeAsync(shards, clockSeconds: 100, a: 100, b: 100);
        await ProbeAsync(shards, clockSeconds: 101, a: 100, b: 101);
        await ProbeAsync(shards, clockSeconds: 103, a: 100, b: 103);

        Assert.True(Status(shards.GetEndpointStatuses(), 3311).IsEjected);
        Assert.All(await ReadEndpointsAsync(shards, 6), e => Assert.Equal(ReplicaB, e));

        await ProbeAsync(shards, clockSeconds: 104, a: 104, b: 104);
        Assert.True(Status(shards.GetEndpointStatuses(), 3311).IsEjected);
        await ProbeAsync(shards, clockSeconds: 105, a: 105, b: 105);

        Assert.False(Status(shards.GetEndpointStatuses(), 3311).IsEjected);
        Assert.Contains(ReplicaA, await ReadEndpointsAsync(shards, 4));
    }

    [Fact]
    public async Task AReplicaThatFailsConsecutiveProbesIsEjected()
    {
        await using var shards = Build();
        await ProbeAsync(shards, clockSeconds: 100, a: 100, b: 100);
        _provider.Server.Down[ReplicaA] = true;

        await ProbeAsync(shards, clockSeconds: 101, a: 101, b: 101);
        Assert.False(Status(shards.GetEndpointStatuses(), 3311).IsEjected);
        await ProbeAsync(shards, clockSeconds: 102, a: 102, b: 102);

        var status = Status(shards.GetEndpointStatuses(), 3311);
        Assert.True(status.IsEjected);
        Assert.Equal(2, status.FailedProbes);
    }

    [Fact]
    public async Task ReadsWithAMaximumLagSkipReplicasBehindItAndOthersUseEveryHealthyReplica()
    {
        await using var shards = Build();
        await ProbeAsync(shards, clockSeconds: 100, a: 100, b: 100);
        await ProbeAsync(shards, clockSeconds: 100.3, a: 100, b: 100.3);
        await ProbeAsync(shards, clockSeconds: 100.6, a: 100, b: 100.6);

        var limited = new ReadOptions { MaxLag = TimeSpan.FromMilliseconds(100) };
        var endpoints = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            await using var shard = await shards.OpenUserShardAsync(10 + i, limited);
            endpoints.Add(shard.Connection.ConnectionString);
        }

        Assert.All(endpoints, e => Assert.Equal(ReplicaB, e));
        Assert.Equal([ReplicaA, ReplicaB], (await ReadEndpointsAsync(shards, 4)).Distinct().Order());
    }

    [Fact]
    public async Task AConfiguredMaximumLagAppliesToReadsThatSetNone()
    {
        await using var shards = Build(health => health.MaxLag = TimeSpan.FromMilliseconds(100));
        await ProbeAsync(shards, clockSeconds: 100, a: 100, b: 100);
        await ProbeAsync(shards, clockSeconds: 100.3, a: 100, b: 100.3);
        await ProbeAsync(shards, clockSeconds: 100.6, a: 100, b: 100.6);

        Assert.All(await ReadEndpointsAsync(shards, 4), e => Assert.Equal(ReplicaB, e));
    }

    [Fact]
    public async Task TheReplicaWithFewerConnectionsHeldServesTheNextRead()
    {
        await using var shards = Build();
        await ProbeAsync(shards, clockSeconds: 100, a: 100, b: 100);

        await using var first = await shards.OpenUserShardAsync(1, ReadPreference.PreferReplica);
        var held = first.Connection.ConnectionString;
        for (var i = 0; i < 3; i++)
        {
            await using var next = await shards.OpenUserShardAsync(2 + i, ReadPreference.PreferReplica);
            Assert.NotEqual(held, next.Connection.ConnectionString);
        }
    }

    [Fact]
    public async Task FallbacksToThePrimaryStopAtTheCapWithATransientError()
    {
        await using var shards = Build(health =>
        {
            health.FallbackBurst = 3;
            health.FallbackShare = 0;
        });
        _provider.Server.Down[ReplicaA] = true;
        _provider.Server.Down[ReplicaB] = true;

        for (var i = 0; i < 3; i++)
        {
            await using var shard = await shards.OpenUserShardAsync(1 + i, ShardIntent.Read);
            Assert.Equal(Primary, shard.Connection.ConnectionString);
        }

        var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(9, ShardIntent.Read));

        Assert.Equal(ShardKitErrorCode.ShardUnavailable, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.Contains("cap on reads that fall back to the primary", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTopologies.Password, ex.Message, StringComparison.Ordinal);
        await using var primary = await shards.OpenUserShardAsync(9, ReadPreference.Primary);
    }

    [Fact]
    public async Task TheCapRefillsByItsShareOfReplicaReads()
    {
        await using var shards = Build(health =>
        {
            health.FallbackBurst = 1;
            health.FallbackShare = 0.5;
        });
        await ProbeAsync(shards, clockSeconds: 100, a: 100, b: 100);
        await using (await shards.OpenUserShardAsync(1, ShardIntent.Read))
        {
        }

        _provider.Server.Down[ReplicaA] = true;
        _provider.Server.Down[ReplicaB] = true;
        var served = 0;
        var failed = 0;
        for (var i = 0; i < 10; i++)
        {
            try
            {
                await using var shard = await shards.OpenUserShardAsync(1 + i, ShardIntent.Read);
                served++;
            }
            catch (ShardKitException ex) when (ex.ErrorCode == ShardKitErrorCode.ShardUnavailable)
            {
                failed++;
            }
        }

        // 1 token at the start, +0.5 per read: about half of the reads may fall back.
        Assert.InRange(served, 5, 6);
        Assert.Equal(10, served + failed);
    }

    [Fact]
    public async Task ReadsWithACausalTokenFallBackUncappedWhileOtherReadsAreCapped()
    {
        await using var shards = Build(health =>
        {
            health.FallbackBurst = 1;
            health.FallbackShare = 0;
        });
        var token = new CausalToken("c0", "0-1-42");

        for (var i = 0; i < 5; i++)
        {
            await using var shard = await shards.OpenUserShardAsync(1 + i, new ReadOptions { CausalToken = token });
            Assert.Equal(Primary, shard.Connection.ConnectionString);
        }

        // Also when no replica can be reached at all: the read-your-writes guarantee is served by the primary.
        _provider.Server.Down[ReplicaA] = true;
        _provider.Server.Down[ReplicaB] = true;
        for (var i = 0; i < 5; i++)
        {
            await using var shard = await shards.OpenUserShardAsync(1 + i, new ReadOptions { CausalToken = token });
            Assert.Equal(Primary, shard.Connection.ConnectionString);
        }

        // The burst's one token was left untouched by the token reads: one plain read falls back, the next is capped.
        await using (await shards.OpenUserShardAsync(1, ShardIntent.Read))
        {
        }

        await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(1, ShardIntent.Read));
    }

    private ShardKitDataSource Build(Action<ReplicaHealthOptions>? configure = null)
    {
        var health = new ReplicaHealthOptions
        {
            EjectLag = TimeSpan.FromSeconds(1),
            ReadmitLag = TimeSpan.FromMilliseconds(200),
            EjectAfterFailures = 2,
            ReadmitAfterProbes = 2,
        };
        configure?.Invoke(health);
        var options = new ShardKitOptions
        {
            Clusters = [new ShardClusterOptions { Name = "c0", Primary = Primary, Replicas = [ReplicaA, ReplicaB] }],
            ReplicaHealth = health,
        };

        // The manual clock never fires the background timer: the tests run each probe round themselves.
        return new ShardKitDataSourceBuilder(options).UseProvider(_provider).UseTimeProvider(_time).Build();
    }

    private async Task ProbeAsync(ShardKitDataSource shards, double clockSeconds, double a, double b)
    {
        _primaryClock = (long)(clockSeconds * Second);
        _shown[ReplicaA] = (long)(a * Second);
        _shown[ReplicaB] = (long)(b * Second);
        await shards.ProbeReplicasAsync();
    }

    private static async Task<List<string>> ReadEndpointsAsync(ShardKitDataSource shards, int count)
    {
        var endpoints = new List<string>();
        for (var i = 0; i < count; i++)
        {
            await using var shard = await shards.OpenUserShardAsync(100 + i, ShardIntent.Read);
            endpoints.Add(shard.Connection.ConnectionString);
        }

        return endpoints;
    }

    private static EndpointStatus Status(IReadOnlyList<EndpointStatus> statuses, int port) => statuses.Single(s => s.Endpoint.Port == port);
}

using Microsoft.Extensions.Time.Testing;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Resilience;

public sealed class EndpointResilienceTests
{
    private readonly FakeProviderFactory _provider = new(new FakeServer());
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public async Task ADeadClusterFailsOnlyItsOwnShardsAndItsBreakerThenRefusesWithoutConnecting()
    {
        await using var shards = Build(resilience => resilience.BreakAfterFailures = 2);
        var (onC0, onC1) = UsersOnEachCluster(shards.Map);
        _provider.Server.Down[TestTopologies.Endpoint(3312)] = true;

        var messages = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(onC1, ShardIntent.Write));
            Assert.Equal(ShardKitErrorCode.ShardUnavailable, ex.ErrorCode);
            Assert.True(ex.IsTransient);
            Assert.Equal(shards.Map.RouteUser(onC1).Name, ex.Shard);
            Assert.DoesNotContain(TestTopologies.Password, ex.Message, StringComparison.Ordinal);
            messages.Add(ex.Message);

            await using var healthy = await shards.OpenUserShardAsync(onC0, ShardIntent.Write);
            Assert.Equal(TestTopologies.Endpoint(3310), healthy.Connection.ConnectionString);
        }

        Assert.All(messages.Take(2), m => Assert.Contains("Unable to connect", m, StringComparison.Ordinal));
        Assert.All(messages.Skip(2), m => Assert.Contains("circuit breaker of 127.0.0.1:3312", m, StringComparison.Ordinal));
        Assert.True(shards.GetEndpointStatuses().Single(s => s.Endpoint.Port == 3312).IsCircuitOpen);
    }

    [Fact]
    public async Task AfterTheBreakATrialOpenClosesTheBreakerOfARecoveredEndpoint()
    {
        await using var shards = Build(resilience =>
        {
            resilience.BreakAfterFailures = 1;
            resilience.BreakDuration = TimeSpan.FromSeconds(5);
        });
        _provider.Server.Down[TestTopologies.Endpoint(3310)] = true;
        await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(OnC0(1), ShardIntent.Write));
        _provider.Server.Down.Clear();

        var refused = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(OnC0(1), ShardIntent.Write));
        Assert.Contains("circuit breaker", refused.Message, StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromSeconds(5));

        await using (await shards.OpenUserShardAsync(OnC0(1), ShardIntent.Write))
        {
        }

        Assert.False(shards.GetEndpointStatuses().Single(s => s.Endpoint.Port == 3310).IsCircuitOpen);
    }

    [Fact]
    public async Task AFullEndpointRejectsWithOverloadedAndShedsNonEssentialCallsFirst()
    {
        await using var shards = Build(resilience =>
        {
            resilience.MaxConcurrency = 2;
            resilience.QueueLimit = 0;
            resilience.NonEssentialShare = 0.5;
        });

        await using var first = await shards.OpenUserShardAsync(OnC0(1), ReadPreference.Primary);
        var shed = await Assert.ThrowsAsync<ShardKitException>(async () =>
            await shards.OpenUserShardAsync(OnC0(2), new ReadOptions { Preference = ReadPreference.Primary, NonEssential = true }));
        await using var second = await shards.OpenUserShardAsync(OnC0(3), ShardIntent.Write);
        var rejected = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(OnC0(4), ShardIntent.Write));

        Assert.Equal(ShardKitErrorCode.Overloaded, shed.ErrorCode);
        Assert.Contains("non-essential", shed.Message, StringComparison.Ordinal);
        Assert.Equal(ShardKitErrorCode.Overloaded, rejected.ErrorCode);
        Assert.True(rejected.IsTransient);
        Assert.Equal(2, shards.GetEndpointStatuses().Single(s => s.Endpoint.Port == 3310).InUse);
    }

    [Fact]
    public async Task AQueuedCallGetsTheSlotOfAConnectionDisposedBeforeTheConnectTimeout()
    {
        await using var shards = Build(resilience =>
        {
            resilience.MaxConcurrency = 1;
            resilience.QueueLimit = 1;
        });
        var first = await shards.OpenUserShardAsync(OnC0(1), ShardIntent.Write);

        var queued = shards.OpenUserShardAsync(OnC0(2), ShardIntent.Write).AsTask();
        Assert.False(queued.IsCompleted);
        await first.DisposeAsync();

        await using var second = await queued;
        Assert.Equal(1, shards.GetEndpointStatuses().Single(s => s.Endpoint.Port == 3310).InUse);
    }

    [Fact]
    public async Task AQueuedCallFailsWithOverloadedWhenNoSlotFreesWithinTheConnectTimeout()
    {
        await using var shards = Build(resilience =>
        {
            resilience.MaxConcurrency = 1;
            resilience.QueueLimit = 1;
            resilience.ConnectTimeout = TimeSpan.FromSeconds(2);
        });
        await using var first = await shards.OpenUserShardAsync(OnC0(1), ShardIntent.Write);

        var queued = shards.OpenUserShardAsync(OnC0(2), ShardIntent.Write).AsTask();
        _time.Advance(TimeSpan.FromSeconds(2));

        var ex = await Assert.ThrowsAsync<ShardKitException>(() => queued);
        Assert.Equal(ShardKitErrorCode.Overloaded, ex.ErrorCode);
        Assert.Contains("2000 ms", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Resilience:ConnectTimeout", "ConnectTimeout is 00:00:00.050")]
    [InlineData("Resilience:MaxConcurrency", "MaxConcurrency is 0")]
    [InlineData("ReplicaHealth:ReadmitLag", "ReadmitLag is 00:00:10")]
    [InlineData("ReplicaHealth:FallbackShare", "FallbackShare is 1.5")]
    public void BadResilienceSettingsFailTheBuildNamingTheSetting(string setting, string expected)
    {
        var options = TestTopologies.DevUp();
        switch (setting)
        {
            case "Resilience:ConnectTimeout": options.Resilience.ConnectTimeout = TimeSpan.FromMilliseconds(50); break;
            case "Resilience:MaxConcurrency": options.Resilience.MaxConcurrency = 0; break;
            case "ReplicaHealth:ReadmitLag": options.ReplicaHealth.ReadmitLag = TimeSpan.FromSeconds(10); break;
            default: options.ReplicaHealth.FallbackShare = 1.5; break;
        }

        var ex = Assert.Throws<ShardKitException>(() => new ShardKitDataSourceBuilder(options).UseProvider(_provider).Build());

        Assert.Equal(ShardKitErrorCode.InvalidTopology, ex.ErrorCode);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EndpointPoolsGetShortTimeoutsPoolSizesAndTlsUnlessTheConnectionStringSetsItsOwn()
    {
        var resilience = new EndpointResilienceOptions();
        var connections = new ShardConnectionOptions { MaximumPoolSize = 50, SslMode = MySqlConnector.MySqlSslMode.VerifyCA, SslCa = "/etc/ca.pem" };

        var defaults = new MySqlConnector.MySqlConnectionStringBuilder(
            ShardKit.Connections.EndpointDataSourceFactory.ApplyDefaults("Server=h;Password=x;", resilience, connections));
        Assert.Equal(2u, defaults.ConnectionTimeout);
        Assert.Equal(5u, defaults.DefaultCommandTimeout);
        Assert.Equal(50u, defaults.MaximumPoolSize);
        Assert.Equal(MySqlConnector.MySqlSslMode.VerifyCA, defaults.SslMode);
        Assert.Equal("/etc/ca.pem", defaults.SslCa);
        Assert.Equal("x", defaults.Password);

        var own = new MySqlConnector.MySqlConnectionStringBuilder(
            ShardKit.Connections.EndpointDataSourceFactory.ApplyDefaults("Server=h;Connect Timeout=9;Max Pool Size=7;SslMode=None", resilience, connections));
        Assert.Equal(9u, own.ConnectionTimeout);
        Assert.Equal(5u, own.DefaultCommandTimeout);
        Assert.Equal(7u, own.MaximumPoolSize);
        Assert.Equal(MySqlConnector.MySqlSslMode.None, own.SslMode);
    }

    private ShardKitDataSource Build(Action<EndpointResilienceOptions> configure)
    {
        var options = TestTopologies.DevUp();
        configure(options.Resilience);
        return new ShardKitDataSourceBuilder(options).UseProvider(_provider).UseTimeProvider(_time).Build();
    }

    /// <summary>The <paramref name="n"/>th user (from 1) whose shard is on cluster c0 of the two-cluster test topology.</summary>
    private static long OnC0(int n)
    {
        var map = ShardMap.Create(TestTopologies.DevUp());
        var found = 0;
        for (long user = 1; ; user++)
        {
            if (map.RouteUser(user).Cluster.Name == "c0" && ++found == n)
            {
                return user;
            }
        }
    }

    private static (long OnC0, long OnC1) UsersOnEachCluster(ShardMap map)
    {
        long? c0 = null;
        long? c1 = null;
        for (long user = 1; c0 is null || c1 is null; user++)
        {
            var cluster = map.RouteUser(user).Cluster.Name;
            if (cluster == "c0")
            {
                c0 ??= user;
            }
            else
            {
                c1 ??= user;
            }
        }

        return (c0.Value, c1.Value);
    }
}

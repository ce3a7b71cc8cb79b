using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Replication;

public sealed class ReadPreferenceTests
{
    private const string WaitPrefix = "SELECT MASTER_GTID_WAIT(";
    private readonly FakeProviderFactory _provider = new(new FakeServer());

    private static string Primary0 => TestTopologies.Endpoint(3310);

    private static string Replica0 => TestTopologies.Endpoint(3311);

    private static string Replica0b => TestTopologies.Endpoint(3320);

    private ShardKitDataSource Build(ShardKitOptions? options = null) =>
        new ShardKitDataSourceBuilder(options ?? TestTopologies.DevUp(clusters: 1)).UseProvider(_provider).Build();

    private static ShardKitOptions TwoReplicas() => new()
    {
        ReplicaHealth = TestTopologies.NoProbing(),
        Clusters = [new ShardClusterOptions { Name = "c0", Primary = Primary0, Replicas = [Replica0, Replica0b] }],
    };

    private static ShardKitOptions NoReplica() => new()
    {
        Clusters = [new ShardClusterOptions { Name = "c0", Primary = Primary0 }],
    };

    [Fact]
    public async Task ReadIntentOutsideATransactionIsServedByTheReplica()
    {
        await using var shards = Build();

        await using var shard = await shards.OpenUserShardAsync(42, ShardIntent.Read);

        Assert.Equal(Replica0, shard.Connection.ConnectionString);
        Assert.True(shard.IsReplica);
        Assert.Equal("127.0.0.1:3311", shard.Endpoint.Address);
        Assert.Equal(ShardIntent.Read, shard.Intent);
    }

    [Fact]
    public async Task WritesAndPrimaryReadsAreServedByThePrimary()
    {
        await using var shards = Build();

        await using var write = await shards.OpenUserShardAsync(42, ShardIntent.Write);
        await using var read = await shards.OpenMerchantShardAsync(42, ReadPreference.Primary);

        Assert.Equal(Primary0, write.Connection.ConnectionString);
        Assert.Equal(Primary0, read.Connection.ConnectionString);
        Assert.False(write.IsReplica);
        Assert.False(read.IsReplica);
    }

    [Fact]
    public async Task ReplicaReadsTakeTheReplicasInTurnWithOnePoolPerReplica()
    {
        await using var shards = Build(TwoReplicas());

        var used = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            await using var shard = await shards.OpenUserShardAsync(1000 + i, ReadPreference.PreferReplica);
            used.Add(shard.Connection.ConnectionString);
        }

        Assert.Equal([Replica0, Replica0b, Replica0, Replica0b, Replica0, Replica0b], used);
        Assert.Equal([Primary0, Replica0, Replica0b], _provider.DataSources);
    }

    [Fact]
    public async Task InsideATransactionEveryReadStaysOnThePrimaryConnection()
    {
        await using var shards = Build();
        await using var write = await shards.OpenUserShardAsync(77, ShardIntent.Write);
        await using var transaction = await write.BeginTransactionAsync();

        await using var read = await shards.OpenUserShardAsync(77, ShardIntent.Read);
        await using var replicaOnly = await shards.OpenUserShardAsync(77, ReadPreference.ReplicaOnly);

        Assert.Same(write.Connection, read.Connection);
        Assert.Same(write.Connection, replicaOnly.Connection);
        Assert.False(replicaOnly.IsReplica);
        Assert.Same(transaction.DbTransaction, read.Transaction);
        Assert.DoesNotContain(Replica0, _provider.DataSources);
    }

    [Fact]
    public async Task PreferReplicaFallsBackToThePrimaryOnceWhenTheReplicaCannotBeOpened()
    {
        _provider.Server.Down[Replica0] = true;
        await using var shards = Build();

        await using var shard = await shards.OpenUserShardAsync(5, ShardIntent.Read);

        Assert.Equal(Primary0, shard.Connection.ConnectionString);
        Assert.Equal(1, _provider.Server.Opened);
    }

    [Fact]
    public async Task PreferReplicaUsesThePrimaryWhenTheClusterHasNoReplica()
    {
        await using var shards = Build(NoReplica());

        await using var shard = await shards.OpenUserShardAsync(5, ReadPreference.PreferReplica);

        Assert.Equal(Primary0, shard.Connection.ConnectionString);
    }

    [Fact]
    public async Task ReplicaOnlyThrowsShardUnavailableWhenTheClusterHasNoReplica()
    {
        await using var shards = Build(NoReplica());

        var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(5, ReadPreference.ReplicaOnly));

        Assert.Equal(ShardKitErrorCode.ShardUnavailable, ex.ErrorCode);
        Assert.Equal(shards.Map.RouteUser(5).Name, ex.Shard);
        Assert.Contains("no replica", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _provider.Server.Opened);
    }

    [Fact]
    public async Task ReplicaOnlyThrowsShardUnavailableWhenTheReplicaIsDown()
    {
        _provider.Server.Down[Replica0] = true;
        await using var shards = Build();

        var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(5, ReadPreference.ReplicaOnly));

        Assert.Equal(ShardKitErrorCode.ShardUnavailable, ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.Contains("127.0.0.1:3311", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTopologies.Password, ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _provider.Server.Opened);
    }

    [Fact]
    public async Task AnUndefinedPreferenceIsRejected()
    {
        await using var shards = Build();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await shards.OpenUserShardAsync(5, (ReadPreference)7));
    }

    [Fact]
    public async Task ATokenReadUsesTheReplicaWhenItHasAppliedTheGtid()
    {
        _provider.Server.Scalar = (cs, sql) => cs == Replica0 && sql.StartsWith(WaitPrefix, StringComparison.Ordinal) ? 0L : null;
        await using var shards = Build();

        await using var shard = await shards.OpenUserShardAsync(5, new ReadOptions { CausalToken = CausalToken.Parse("0-1-42@c0") });

        Assert.Equal(Replica0, shard.Connection.ConnectionString);
        Assert.Contains((Replica0, "SELECT MASTER_GTID_WAIT('0-1-42', 0.05)"), _provider.Server.Executed);
    }

    [Fact]
    public async Task ATokenReadGoesToThePrimaryWhenTheReplicaTimesOut()
    {
        _provider.Server.Scalar = (_, sql) => sql.StartsWith(WaitPrefix, StringComparison.Ordinal) ? -1L : null;
        await using var shards = Build();

        await using var shard = await shards.OpenUserShardAsync(5, new ReadOptions { CausalToken = CausalToken.Parse("0-1-42@c0") });

        Assert.Equal(Primary0, shard.Connection.ConnectionString);
        Assert.Single(_provider.Server.Executed, e => e.Sql.StartsWith(WaitPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATokenReadGoesToThePrimaryWhenTheWaitFails()
    {
        _provider.Server.FailStatement = (_, sql) => sql.StartsWith(WaitPrefix, StringComparison.Ordinal) ? "FUNCTION MASTER_GTID_WAIT does not exist" : null;
        await using var shards = Build();

        await using var shard = await shards.OpenUserShardAsync(5, new ReadOptions { CausalToken = CausalToken.Parse("0-1-42@c0") });

        Assert.Equal(Primary0, shard.Connection.ConnectionString);
    }

    [Fact]
    public async Task ReplicaOnlyWithAnUnappliedTokenThrowsShardUnavailable()
    {
        _provider.Server.Scalar = (_, sql) => sql.StartsWith(WaitPrefix, StringComparison.Ordinal) ? -1L : null;
        await using var shards = Build();

        var ex = await Assert.ThrowsAsync<ShardKitException>(async () =>
            await shards.OpenUserShardAsync(5, new ReadOptions { Preference = ReadPreference.ReplicaOnly, CausalToken = CausalToken.Parse("0-1-42@c0") }));

        Assert.Equal(ShardKitErrorCode.ShardUnavailable, ex.ErrorCode);
        Assert.Contains("0-1-42", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATokenOfAnotherClusterCostsNoWait()
    {
        await using var shards = Build();

        await using var shard = await shards.OpenUserShardAsync(5, new ReadOptions { CausalToken = CausalToken.Parse("0-1-42@c9") });

        Assert.Equal(Replica0, shard.Connection.ConnectionString);
        Assert.DoesNotContain(_provider.Server.Executed, e => e.Sql.StartsWith(WaitPrefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheWaitComesFromCausalReadWait()
    {
        _provider.Server.Scalar = (_, _) => 0L;
        var options = TestTopologies.DevUp(clusters: 1);
        options.CausalReadWait = TimeSpan.FromMilliseconds(250);
        await using var shards = Build(options);

        await using var shard = await shards.OpenUserShardAsync(5, new ReadOptions { CausalToken = new CausalToken("c0", "0-1-7,1-2-3") });

        Assert.Contains((Replica0, "SELECT MASTER_GTID_WAIT('0-1-7,1-2-3', 0.25)"), _provider.Server.Executed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(11_000)]
    public void ACausalReadWaitOutOfRangeIsRejectedAtStartUp(int milliseconds)
    {
        var options = TestTopologies.DevUp(clusters: 1);
        options.CausalReadWait = TimeSpan.FromMilliseconds(milliseconds);

        var ex = Assert.Throws<ShardKitException>(() => Build(options));

        Assert.Equal(ShardKitErrorCode.InvalidTopology, ex.ErrorCode);
        Assert.Contains("CausalReadWait", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWriteAsksTheServerForItsGtidOnlyWhenATokenIsWanted()
    {
        _provider.Server.Scalar = (_, sql) => sql == "SELECT @@last_gtid" ? "0-1-42" : null;
        await using var shards = Build();

        await using (var write = await shards.OpenUserShardAsync(5, ShardIntent.Write))
        {
            await using var transaction = await write.BeginTransactionAsync();
            await transaction.CommitAsync();
        }

        Assert.DoesNotContain(_provider.Server.Executed, e => e.Sql.Contains("gtid", StringComparison.OrdinalIgnoreCase));

        await using (var write = await shards.OpenUserShardAsync(5, ShardIntent.Write))
        {
            Assert.Equal(CausalToken.Parse("0-1-42@c0"), await write.GetCausalTokenAsync());
        }

        Assert.Single(_provider.Server.Executed, e => e.Sql == "SELECT @@last_gtid");

        using (var scope = shards.ReadYourWrites())
        {
            await using (await shards.OpenUserShardAsync(5, ShardIntent.Write))
            {
            }

            Assert.Equal("0-1-42", scope.GetToken("c0")?.Gtid);
        }

        Assert.Equal(2, _provider.Server.Executed.Count(e => e.Sql == "SELECT @@last_gtid"));

        // A transaction's commit in a scope asks once; disposing its connection does not ask again.
        using (var scope = shards.ReadYourWrites())
        {
            await using (var write = await shards.OpenUserShardAsync(5, ShardIntent.Write))
            {
                await using var transaction = await write.BeginTransactionAsync();
                await transaction.CommitAsync();
            }

            Assert.Equal("0-1-42", scope.GetToken("c0")?.Gtid);
        }

        Assert.Equal(3, _provider.Server.Executed.Count(e => e.Sql == "SELECT @@last_gtid"));
    }

    [Fact]
    public async Task AReplicaConnectionHasNoCausalToken()
    {
        _provider.Server.Scalar = (_, sql) => sql == "SELECT @@last_gtid" ? "0-1-42" : null;
        await using var shards = Build();
        await using var read = await shards.OpenUserShardAsync(5, ReadPreference.ReplicaOnly);

        Assert.True(read.IsReplica);
        Assert.Null(await read.GetCausalTokenAsync());
    }
}

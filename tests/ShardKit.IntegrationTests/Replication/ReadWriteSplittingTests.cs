using System.Globalization;
using Dapper;
using MySqlConnector;

namespace ShardKit.IntegrationTests.Replication;

/// <summary>Read preferences and causal tokens against a real primary and replica.</summary>
public sealed class ReadWriteSplittingTests(ReplicaTopologyFixture fixture) : IClassFixture<ReplicaTopologyFixture>
{
    private static long s_nextUser = 1 + (DateTime.UtcNow.Ticks % 1_000_000_000);
    private readonly OrderIdGenerator _ids = new(new OrderIdGeneratorOptions { WorkerId = 202 });

    [Fact]
    public async Task PreferReplicaReadsAreServedByTheReplicaAndPrimaryReadsByThePrimary()
    {
        var shards = fixture.Shards;
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(shards, TimeSpan.FromSeconds(30));

        await using (var read = await shards.OpenUserShardAsync(NextUser(), ShardIntent.Read))
        {
            Assert.True(read.IsReplica);
            Assert.Equal(fixture.Replica.ServerId, await ServerIdAsync(read));
        }

        await using (var replicaOnly = await shards.OpenMerchantShardAsync(NextUser(), ReadPreference.ReplicaOnly))
        {
            Assert.Equal(fixture.Replica.ServerId, await ServerIdAsync(replicaOnly));
        }

        await using (var primary = await shards.OpenUserShardAsync(NextUser(), ReadPreference.Primary))
        {
            Assert.False(primary.IsReplica);
            Assert.Equal(fixture.Primary.ServerId, await ServerIdAsync(primary));
        }

        await using var write = await shards.OpenUserShardAsync(NextUser(), ShardIntent.Write);
        Assert.Equal(fixture.Primary.ServerId, await ServerIdAsync(write));
    }

    [Fact]
    public async Task AWriteHandsBackTheGtidItCommittedAsACausalToken()
    {
        var userId = NextUser();
        CausalToken? fromConnection;
        await using (var shard = await fixture.Shards.OpenUserShardAsync(userId, ShardIntent.Write))
        {
            await InsertOrderAsync(shard, _ids.Next(userId, 1), userId, transaction: null);
            fromConnection = await shard.GetCausalTokenAsync();
        }

        Assert.NotNull(fromConnection);
        Assert.Equal("c0", fromConnection.Cluster, ignoreCase: true);

        ShardConnection written;
        CausalToken? fromTransaction;
        var before = Sequence(await fixture.Primary.QueryScalarAsync("SELECT @@gtid_binlog_pos"));
        await using (written = await fixture.Shards.OpenUserShardAsync(userId, ShardIntent.Write))
        {
            await using var transaction = await written.BeginTransactionAsync();
            await InsertOrderAsync(written, _ids.Next(userId, 1), userId, transaction);
            await transaction.CommitAsync();
            fromTransaction = await written.GetCausalTokenAsync();
        }

        Assert.NotNull(fromTransaction);
        // The replica prober's heartbeat writes share the primary's binlog: the commit lies between the two readings.
        var after = Sequence(await fixture.Primary.QueryScalarAsync("SELECT @@gtid_binlog_pos"));
        Assert.InRange(Sequence(fromTransaction.Gtid), before + 1, after);
        Assert.StartsWith("0-1-", fromTransaction.Gtid, StringComparison.Ordinal);
        Assert.NotEqual(fromConnection, fromTransaction);
        Assert.Equal(fromTransaction, CausalToken.Parse(fromTransaction.ToString()));
    }

    [Fact]
    public async Task WithTheReplicaPausedTokenReadsNeverSeeStaleDataAndAfterResumingTheReplicaServesThemAgain()
    {
        var shards = fixture.Shards;
        var stale = 0;
        var servedByReplica = 0;
        OrderId last = default;
        await fixture.Replica.PauseReplicationAsync();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var userId = NextUser();
                last = _ids.Next(userId, 1);
                var token = await WriteAsync(shards, last, userId, inTransaction: i % 2 == 1);

                // The token travels as text, as it would between service instances.
                await using var read = await shards.OpenOrderShardAsync(last, ShardDimension.User, new ReadOptions { CausalToken = CausalToken.Parse(token.ToString()) });
                if (await CountAsync(read, last) == 0)
                {
                    stale++;
                }

                servedByReplica += read.IsReplica ? 1 : 0;
            }

            // Without the token the replica really is behind: the reads above could have been stale.
            Assert.Equal("0", await fixture.Replica.QueryScalarAsync($"SELECT COUNT(*) FROM `{shards.Map.RouteOrder(last, ShardDimension.User).Schema}`.orders WHERE order_id = {last.Value}"));
        }
        finally
        {
            await fixture.Replica.ResumeReplicationAsync();
        }

        Assert.Equal(0, stale);
        Assert.Equal(0, servedByReplica);

        // Caught up again: with a wait wide enough for a busy test machine, every token read is served by the replica.
        await fixture.Replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
        await using var patient = fixture.Build(("ShardKit:CausalReadWait", "00:00:05"));
        for (var i = 0; i < 20; i++)
        {
            var userId = NextUser();
            var orderId = _ids.Next(userId, 1);
            var token = await WriteAsync(patient, orderId, userId, inTransaction: i % 2 == 1);

            await using var read = await patient.OpenOrderShardAsync(orderId, ShardDimension.User, new ReadOptions { CausalToken = token });
            Assert.True(read.IsReplica);
            Assert.Equal(fixture.Replica.ServerId, await ServerIdAsync(read));
            Assert.Equal(1, await CountAsync(read, orderId));
        }
    }

    [Fact]
    public async Task WithTheReplicaKilledPreferReplicaReadsFallBackToThePrimaryAndReplicaOnlyFailsFast()
    {
        await using var shards = fixture.Build();
        await using (var warm = await shards.OpenUserShardAsync(NextUser(), ShardIntent.Read))
        {
            Assert.True(warm.IsReplica); // the replica's pool now holds a connection that is about to die
        }

        await fixture.Replica.KillAsync();
        try
        {
            var failed = 0;
            for (var i = 0; i < 50; i++)
            {
                try
                {
                    await using var read = await shards.OpenUserShardAsync(NextUser(), ShardIntent.Read);
                    Assert.Equal(fixture.Primary.ServerId, await ServerIdAsync(read));
                }
                catch (Exception ex) when (ex is ShardKitException or System.Data.Common.DbException)
                {
                    failed++;
                }
            }

            Assert.Equal(0, failed);
            var replicaOnly = await Assert.ThrowsAsync<ShardKitException>(async () => await shards.OpenUserShardAsync(NextUser(), ReadPreference.ReplicaOnly));
            Assert.Equal(ShardKitErrorCode.ShardUnavailable, replicaOnly.ErrorCode);
            Assert.True(replicaOnly.IsTransient);
        }
        finally
        {
            await fixture.Replica.StartAsync();
        }

        await fixture.Replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));

        // Re-admitted after consecutive good probes, and its breaker lets a trial through after the break.
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(shards, TimeSpan.FromSeconds(30));
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(fixture.Shards, TimeSpan.FromSeconds(30));
        await using var again = await shards.OpenUserShardAsync(NextUser(), ShardIntent.Read);
        Assert.Equal(fixture.Replica.ServerId, await ServerIdAsync(again));
    }

    [Fact]
    public async Task AReadOnlyTransactionRunsOnTheReplicaAndTheServerRefusesWritesInOne()
    {
        var userId = NextUser();
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(fixture.Shards, TimeSpan.FromSeconds(30));
        await using (var read = await fixture.Shards.OpenUserShardAsync(userId, ReadPreference.ReplicaOnly))
        {
            await using var transaction = await read.BeginReadOnlyTransactionAsync(System.Data.IsolationLevel.ReadCommitted);
            Assert.Equal(fixture.Replica.ServerId, await ServerIdAsync(read));
            Assert.Equal(1L, await read.Connection.ExecuteScalarAsync<long>("SELECT @@in_transaction", transaction: transaction.DbTransaction));
            await transaction.CommitAsync();
        }

        // On the primary, where writes are allowed, the read-only transaction itself refuses them (error 1792)...
        await using var primary = await fixture.Shards.OpenUserShardAsync(userId, ReadPreference.Primary);
        await using (var readOnly = await primary.BeginReadOnlyTransactionAsync(System.Data.IsolationLevel.RepeatableRead))
        {
            var error = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => InsertOrderAsync(primary, _ids.Next(userId, 1), userId, readOnly));
            Assert.Contains("READ ONLY transaction", error.Message, StringComparison.OrdinalIgnoreCase);
            await readOnly.RollbackAsync();
        }

        // ...and the read-only characteristic applied to that one transaction only.
        await using var readWrite = await primary.BeginTransactionAsync();
        await InsertOrderAsync(primary, _ids.Next(userId, 1), userId, readWrite);
        await readWrite.CommitAsync();
    }

    [Fact]
    public async Task InAReadYourWritesScopeReadsSeeTheScopesWritesWhileTheReplicaLags()
    {
        await fixture.Replica.PauseReplicationAsync();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var userId = NextUser();
                var orderId = _ids.Next(userId, 1);
                using var scope = fixture.Shards.ReadYourWrites();
                await using (var write = await fixture.Shards.OpenUserShardAsync(userId, ShardIntent.Write))
                {
                    if (i % 2 == 0)
                    {
                        await InsertOrderAsync(write, orderId, userId, transaction: null);
                    }
                    else
                    {
                        await using var transaction = await write.BeginTransactionAsync();
                        await InsertOrderAsync(write, orderId, userId, transaction);
                        await transaction.CommitAsync();
                    }
                }

                Assert.Single(scope.Tokens);
                await using var read = await fixture.Shards.OpenUserShardAsync(userId, ShardIntent.Read);
                Assert.Equal(1, await CountAsync(read, orderId));
            }
        }
        finally
        {
            await fixture.Replica.ResumeReplicationAsync();
        }

        await fixture.Replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task StoreReadsWithTheWritesTokenAreNeverStaleAndGoBackToTheReplicaOnceItHasTheWrite()
    {
        using var orders = new TwoDimensionOrderStore(fixture.Shards, new TwoDimensionOrderStoreOptions { ApplyMerchantCopyImmediately = false });
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(fixture.Shards, TimeSpan.FromSeconds(30));
        var created = new List<OrderRecord>();
        await fixture.Replica.PauseReplicationAsync();
        try
        {
            for (var i = 0; i < 20; i++)
            {
                var userId = NextUser();
                var order = await orders.CreateAsync(new OrderRecord
                {
                    Id = _ids.Next(userId, 3), UserId = userId, MerchantId = 3, Status = "created", TotalAmount = 1m, Currency = "EUR",
                    Items = [new OrderLine { LineNo = 1, Sku = "S", Quantity = 1, UnitPrice = 1m }],
                });
                Assert.NotNull(order.CausalToken);
                created.Add(order);

                // With the write's token (as text, as it travels between services) the read is never stale.
                var read = await orders.GetAsync(order.Id, new ReadOptions { CausalToken = CausalToken.Parse(order.CausalToken.ToString()) });
                Assert.NotNull(read);
                Assert.Equal(order.Version, read.Version);
            }

            // The replica really is behind: without the token the order is not there. (Read on the server itself: on a
            // loaded machine the paused replica may already be ejected for its lag, and the router would refuse it.)
            var route = fixture.Shards.Map.RouteOrder(created[^1].Id, ShardDimension.User);
            await using var replica = new MySqlConnection(fixture.Replica.ConnectionString);
            Assert.Equal(0, await replica.ExecuteScalarAsync<long>(
                $"SELECT COUNT(*) FROM `{route.Schema}`.`orders` WHERE order_id = @Id", new { Id = created[^1].Id.Value }));
        }
        finally
        {
            await fixture.Replica.ResumeReplicationAsync();
        }

        // Once the replica has applied the writes, token reads are served by it.
        await fixture.Replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(fixture.Shards, TimeSpan.FromSeconds(60));
        var token = created[^1].CausalToken!;
        await using (var shard = await fixture.Shards.OpenOrderShardAsync(created[^1].Id, ShardDimension.User, new ReadOptions { CausalToken = token }))
        {
            Assert.True(shard.IsReplica);
        }

        Assert.Equal(created[^1].Id, (await orders.GetAsync(created[^1].Id, new ReadOptions { CausalToken = token }))?.Id);
    }

    private static async Task<CausalToken> WriteAsync(ShardKitDataSource shards, OrderId orderId, long userId, bool inTransaction)
    {
        await using var shard = await shards.OpenUserShardAsync(userId, ShardIntent.Write);
        if (!inTransaction)
        {
            await InsertOrderAsync(shard, orderId, userId, transaction: null);
            return await shard.GetCausalTokenAsync() ?? throw new InvalidOperationException("The write handed back no causal token.");
        }

        await using var transaction = await shard.BeginTransactionAsync();
        await InsertOrderAsync(shard, orderId, userId, transaction);
        await transaction.CommitAsync();
        return await shard.GetCausalTokenAsync() ?? throw new InvalidOperationException("The transaction handed back no causal token.");
    }

    private static Task<long> CountAsync(ShardConnection shard, OrderId orderId) =>
        shard.Connection.ExecuteScalarAsync<long>(shard.Sql("SELECT COUNT(*) FROM {orders} WHERE order_id = @Id"), new { Id = orderId.Value });

    private static async Task<int> ServerIdAsync(ShardConnection shard) =>
        Convert.ToInt32(await shard.Connection.ExecuteScalarAsync<long>("SELECT @@server_id"), CultureInfo.InvariantCulture);

    private static async Task InsertOrderAsync(ShardConnection shard, OrderId orderId, long userId, ShardTransaction? transaction)
    {
        var now = DateTime.UtcNow;
        await shard.Connection.ExecuteAsync(
            shard.Sql("""
                INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at)
                VALUES (@OrderId, @UserId, 1, 'created', 10.00, 'EUR', @Now, @Now)
                """),
            new { OrderId = orderId.Value, UserId = userId, Now = now },
            transaction?.DbTransaction);
    }

    private static long Sequence(string? gtid)
    {
        var text = gtid ?? throw new InvalidOperationException("No GTID.");
        return long.Parse(text[(text.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
    }

    private static long NextUser() => Interlocked.Increment(ref s_nextUser);
}

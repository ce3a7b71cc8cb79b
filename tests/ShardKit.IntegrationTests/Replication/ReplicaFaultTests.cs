using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;
using ShardKit.Testing;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Replication;

/// <summary>The fault tests of issue 6: real MariaDB processes killed, paused and restarted under load, and a count of what was lost.</summary>
public sealed class ReplicaFaultTests(FaultTopologyFixture fixture, ITestOutputHelper output) : IClassFixture<FaultTopologyFixture>
{
    private static long s_nextUser = 1 + (DateTime.UtcNow.Ticks % 1_000_000_000);
    private readonly OrderIdGenerator _ids = new(new OrderIdGeneratorOptions { WorkerId = 203 });

    private MariaDbCluster Cluster0 => fixture.Topology.Clusters[0];

    private MariaDbCluster Cluster1 => fixture.Topology.Clusters[1];

    [Fact]
    public async Task KillingAReplicaUnderReadLoadFailsNoRead()
    {
        await using var shards = fixture.Build();
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(shards, TimeSpan.FromSeconds(30));
        var victim = Cluster0.Replicas[0];
        var users = UsersOn(shards.Map, Cluster0.Name, 64);
        var reads = 0;
        var failures = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();

        var readers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; !stop.IsCancellationRequested; i += 4)
            {
                try
                {
                    await shards.ReadAsync(
                        shards.Map.RouteUser(users[i % users.Count]),
                        (shard, ct) => shard.Connection.ExecuteScalarAsync<long>(new CommandDefinition(shard.Sql("SELECT COUNT(*) FROM {orders}"), cancellationToken: ct)));
                    Interlocked.Increment(ref reads);
                }
                catch (Exception ex)
                {
                    failures.Enqueue(ex);
                }
            }
        })).ToList();

        await Task.Delay(700);
        await victim.KillAsync();
        await Task.Delay(2500);
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        output.WriteLine($"{reads} reads, {failures.Count} failed");
        Assert.Empty(failures);
        Assert.True(reads > 100, $"only {reads} reads ran");
        Assert.True(shards.GetEndpointStatuses().Single(s => s.Endpoint.Port == victim.Port).IsEjected);

        await victim.StartAsync();
        await victim.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(shards, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task WithAReplicaPausedTenThousandTokenReadsSeeTheirWriteAndLagLimitedReadsSkipIt()
    {
        await using var shards = fixture.Build(("ShardKit:ReplicaHealth:EjectLag", "00:00:01"), ("ShardKit:ReplicaHealth:ReadmitLag", "00:00:00.500"));
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(shards, TimeSpan.FromSeconds(30));
        var paused = Cluster0.Replicas[0];
        var users = UsersOn(shards.Map, Cluster0.Name, 64);
        await paused.PauseReplicationAsync();
        try
        {
            var stale = 0;
            var servedBy = new ConcurrentDictionary<int, int>();
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
            {
                for (var i = 0; i < 2_500; i++)
                {
                    var userId = users[((worker * 2_500) + i) % users.Count];
                    var orderId = _ids.Next(userId, 1);
                    CausalToken token;
                    await using (var write = await shards.OpenUserShardAsync(userId, ShardIntent.Write))
                    {
                        await InsertOrderAsync(write, orderId, userId);
                        token = await write.GetCausalTokenAsync() ?? throw new InvalidOperationException("The write handed back no causal token.");
                    }

                    await using var read = await shards.OpenUserShardAsync(userId, new ReadOptions { CausalToken = CausalToken.Parse(token.ToString()) });
                    var found = await read.Connection.ExecuteScalarAsync<long>(read.Sql("SELECT COUNT(*) FROM {orders} WHERE order_id = @Id"), new { Id = orderId.Value });
                    if (found != 1)
                    {
                        Interlocked.Increment(ref stale);
                    }

                    servedBy.AddOrUpdate(read.Endpoint.Port, 1, (_, n) => n + 1);
                }
            })));
            clock.Stop();

            var roles = new Dictionary<int, string> { [Cluster0.Primary.Port] = "primary", [paused.Port] = "paused replica", [Cluster0.Replicas[1].Port] = "other replica" };
            output.WriteLine($"10,000 write-then-token-read cycles (4 workers) in {clock.Elapsed.TotalSeconds:0.0} s; served by: {string.Join(", ", servedBy.Select(p => $"{roles[p.Key]} {p.Value}"))}");
            Assert.Equal(0, stale);
            Assert.Equal(10_000, servedBy.Values.Sum());

            var status = shards.GetEndpointStatuses().Single(s => s.Endpoint.Port == paused.Port);
            Assert.True(status.IsEjected, status.ToString());
            var limited = new ReadOptions { MaxLag = TimeSpan.FromMilliseconds(500) };
            for (var i = 0; i < 20; i++)
            {
                await using var read = await shards.OpenUserShardAsync(users[i], limited);
                Assert.NotEqual(paused.Port, read.Endpoint.Port);
            }
        }
        finally
        {
            await paused.ResumeReplicationAsync();
        }

        await paused.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
        await FaultTopologyFixture.WaitUntilAllReplicasServeAsync(shards, TimeSpan.FromSeconds(30));
        var readmitted = 0;
        for (var i = 0; i < 10; i++)
        {
            await using var read = await shards.OpenUserShardAsync(users[i], ShardIntent.Read);
            readmitted += read.Endpoint.Port == paused.Port ? 1 : 0;
        }

        Assert.True(readmitted > 0, "the caught-up replica served no read");
    }

    [Fact]
    public async Task KillingAPrimaryUnderWriteLoadFailsItsShardsFastLeavesTheOthersAloneAndLosesNoAcknowledgedWrite()
    {
        await using var shards = fixture.Build();
        var victim = Cluster1.Primary;
        var onC0 = UsersOn(shards.Map, Cluster0.Name, 32);
        var onC1 = UsersOn(shards.Map, Cluster1.Name, 32);
        var acknowledged = new ConcurrentQueue<(long UserId, OrderId OrderId)>();
        var c0Failures = new ConcurrentQueue<Exception>();
        var c1Failures = new ConcurrentQueue<(ShardKitException Error, TimeSpan Elapsed)>();
        var c1Unexpected = new ConcurrentQueue<Exception>();
        var killed = 0;
        long recoveredAt = 0;
        using var stop = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; !stop.IsCancellationRequested; i += 4)
            {
                var toC1 = i % 2 == 1;
                var userId = toC1 ? onC1[i % onC1.Count] : onC0[i % onC0.Count];
                var orderId = _ids.Next(userId, 1);
                var started = Stopwatch.GetTimestamp();
                try
                {
                    await using var write = await shards.OpenUserShardAsync(userId, ShardIntent.Write);
                    await InsertOrderAsync(write, orderId, userId);
                    acknowledged.Enqueue((userId, orderId));
                    if (toC1 && Volatile.Read(ref killed) == 2)
                    {
                        Interlocked.CompareExchange(ref recoveredAt, Stopwatch.GetTimestamp(), 0);
                    }
                }
                catch (ShardKitException ex) when (toC1)
                {
                    c1Failures.Enqueue((ex, Stopwatch.GetElapsedTime(started)));
                    await Task.Delay(5);
                }
                catch (Exception ex) when (toC1)
                {
                    // A write in flight when the server died: not acknowledged, so it may or may not have committed.
                    c1Unexpected.Enqueue(ex);
                }
                catch (Exception ex)
                {
                    c0Failures.Enqueue(ex);
                }
            }
        })).ToList();

        await Task.Delay(700);
        await victim.KillAsync();
        Volatile.Write(ref killed, 1);
        await Task.Delay(2000);
        await victim.StartAsync();
        Volatile.Write(ref killed, 2);
        var restarted = Stopwatch.GetTimestamp();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Interlocked.Read(ref recoveredAt) == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await Task.Delay(500);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var recovery = Interlocked.Read(ref recoveredAt) is var at and > 0 ? Stopwatch.GetElapsedTime(restarted, at) : (TimeSpan?)null;
        output.WriteLine(
            $"{acknowledged.Count} acknowledged writes; cluster {Cluster0.Name} failures {c0Failures.Count}; cluster {Cluster1.Name} fast failures {c1Failures.Count} " +
            $"(slowest {(c1Failures.IsEmpty ? 0 : c1Failures.Max(f => f.Elapsed.TotalMilliseconds)):0} ms), in-flight losses {c1Unexpected.Count}; writes to {Cluster1.Name} succeeded again {recovery?.TotalSeconds:0.0} s after the restart");
        Assert.Empty(c0Failures);
        Assert.NotEmpty(c1Failures);
        Assert.All(c1Failures, f =>
        {
            Assert.Equal(ShardKitErrorCode.ShardUnavailable, f.Error.ErrorCode);
            Assert.True(f.Error.IsTransient);
            Assert.True(f.Elapsed < TimeSpan.FromSeconds(2.5), $"a write failed after {f.Elapsed.TotalMilliseconds:0} ms");
            Assert.DoesNotContain(victim.Password, f.Error.Message, StringComparison.Ordinal);
        });
        Assert.True(c1Unexpected.Count <= 4, $"{c1Unexpected.Count} writes failed with other errors than ShardKitException: {string.Join(" | ", c1Unexpected.Select(e => e.Message).Distinct())}");
        Assert.NotNull(recovery);

        var lost = 0;
        foreach (var group in acknowledged.GroupBy(a => shards.Map.RouteUser(a.UserId).Name))
        {
            var ids = group.Select(a => a.OrderId.Value).ToList();
            await using var shard = await shards.OpenUserShardAsync(group.First().UserId, ReadPreference.Primary);
            var found = await shard.Connection.ExecuteScalarAsync<long>(shard.Sql("SELECT COUNT(*) FROM {orders} WHERE order_id IN @Ids"), new { Ids = ids });
            lost += ids.Count - (int)found;
        }

        Assert.Equal(0, lost);
        foreach (var replica in Cluster1.Replicas)
        {
            await replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60));
        }
    }

    private static List<long> UsersOn(ShardMap map, string cluster, int count)
    {
        var users = new List<long>();
        while (users.Count < count)
        {
            var user = Interlocked.Increment(ref s_nextUser);
            if (string.Equals(map.RouteUser(user).Cluster.Name, cluster, StringComparison.OrdinalIgnoreCase))
            {
                users.Add(user);
            }
        }

        return users;
    }

    private static Task InsertOrderAsync(ShardConnection shard, OrderId orderId, long userId)
    {
        var now = DateTime.UtcNow;
        return shard.Connection.ExecuteAsync(
            shard.Sql("""
                INSERT INTO {orders} (order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at)
                VALUES (@OrderId, @UserId, 1, 'created', 10.00, 'EUR', @Now, @Now)
                """),
            new { OrderId = orderId.Value, UserId = userId, Now = now });
    }
}

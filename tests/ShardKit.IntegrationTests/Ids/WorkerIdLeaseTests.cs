using MySqlConnector;

namespace ShardKit.IntegrationTests.Ids;

/// <summary>Automatic worker IDs leased from real MariaDB: no two live instances ever hold the same one.</summary>
[Collection("Server")]
public sealed class WorkerIdLeaseTests(ServerFixture fixture)
{
    [Fact]
    public async Task ConcurrentInstancesLeaseDistinctWorkerIds()
    {
        await using var dataSource = await NewLeaseDatabaseAsync();

        var leases = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => DatabaseWorkerIdLease.AcquireAsync(dataSource)));
        try
        {
            Assert.Equal(32, leases.Select(l => l.WorkerId).Distinct().Count());
            Assert.All(leases, l => Assert.True(l.IsHeld));
            Assert.All(leases, l => Assert.InRange(l.WorkerId, 0, 254));
        }
        finally
        {
            foreach (var lease in leases)
            {
                await lease.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AReleasedWorkerIdIsReusedOnlyAfterTheReuseDelay()
    {
        await using var dataSource = await NewLeaseDatabaseAsync();
        var options = new DatabaseWorkerIdLeaseOptions { ReuseDelay = TimeSpan.FromSeconds(2) };

        var first = await DatabaseWorkerIdLease.AcquireAsync(dataSource, options);
        var released = first.WorkerId;
        await first.DisposeAsync();
        Assert.False(first.IsHeld);

        await using (var soon = await DatabaseWorkerIdLease.AcquireAsync(dataSource, options))
        {
            Assert.NotEqual(released, soon.WorkerId);
        }

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await using var later = await DatabaseWorkerIdLease.AcquireAsync(dataSource, options);
        Assert.Equal(released, later.WorkerId);
    }

    [Fact]
    public async Task The256thInstanceIsRefusedWhileAll255AreHeldAndWorker255IsNeverLeased()
    {
        await using var dataSource = await NewLeaseDatabaseAsync();
        var leases = new List<DatabaseWorkerIdLease>();
        try
        {
            for (var i = 0; i < 255; i++)
            {
                leases.Add(await DatabaseWorkerIdLease.AcquireAsync(dataSource));
            }

            var refused = await Assert.ThrowsAsync<ShardKitException>(() => DatabaseWorkerIdLease.AcquireAsync(dataSource));
            Assert.Equal(ShardKitErrorCode.WorkerIdsExhausted, refused.ErrorCode);
            Assert.Equal(255, leases.Select(l => l.WorkerId).Distinct().Count());
            Assert.DoesNotContain(OrderIdLayout.LegacyWorkerId, leases.Select(l => l.WorkerId));
        }
        finally
        {
            foreach (var lease in leases)
            {
                await lease.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AGeneratorOnALeaseStampsItsWorkerIdIntoEveryOrderId()
    {
        await using var dataSource = await NewLeaseDatabaseAsync();
        await using var lease = await DatabaseWorkerIdLease.AcquireAsync(dataSource);
        var generator = new OrderIdGenerator(lease);

        var id = generator.Next(userId: 1234, merchantId: 5678);

        Assert.Equal(lease.WorkerId, id.WorkerId);
        Assert.Equal(ShardFunctions.UserShard(1234, 120), id.UserShard);
        Assert.Equal(ShardFunctions.MerchantShard(5678, 120), id.MerchantShard);
    }

    private async Task<MySqlDataSource> NewLeaseDatabaseAsync()
    {
        var database = "leases_" + Guid.NewGuid().ToString("N")[..12];
        await fixture.Server.ExecuteAsync($"CREATE DATABASE {database}");
        return new MySqlDataSource(fixture.ConnectionString + ";Database=" + database);
    }
}

namespace ShardKit.Tests.Ids;

public sealed class DatabaseWorkerIdLeaseTests
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private static readonly DatabaseWorkerIdLeaseOptions s_options = new() { LeaseDuration = TimeSpan.FromSeconds(30), ReuseDelay = TimeSpan.FromSeconds(10), OwnerName = "orders-7" };

    private readonly SteppingClock _clock = new(s_start);
    private readonly InMemoryWorkerLeaseStore _store;

    public DatabaseWorkerIdLeaseTests()
    {
        _store = new InMemoryWorkerLeaseStore(_clock);
    }

    [Fact]
    public async Task GivesConcurrentInstancesDistinctWorkerIds()
    {
        await using var first = await Acquire();
        await using var second = await Acquire();

        Assert.Equal(0, first.WorkerId);
        Assert.Equal(1, second.WorkerId);
        Assert.True(first.IsHeld);
        Assert.StartsWith("orders-7/", first.Owner, StringComparison.Ordinal);
        Assert.NotEqual(first.Owner, second.Owner);
        Assert.Equal(first.Owner, _store.OwnerOf(0));
    }

    [Fact]
    public async Task FailsWithWorkerIdsExhaustedWhenAll255AreHeld()
    {
        _store.HoldAll();

        var error = await Assert.ThrowsAsync<ShardKitException>(Acquire);

        Assert.Equal(ShardKitErrorCode.WorkerIdsExhausted, error.ErrorCode);
        Assert.Contains("All 255 order-ID worker IDs in shardkit_worker_leases (0..254; 255 is the legacy import's)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RenewsEveryThirdOfTheLeaseDurationAndStaysHeld()
    {
        await using var lease = await Acquire();

        for (var renewal = 1; renewal <= 6; renewal++)
        {
            await AdvanceToNextHeartbeat(TimeSpan.FromSeconds(10));
            await Eventually(() => _store.RenewCalls == renewal);
            Assert.True(lease.IsHeld);
        }

        // 60 s after the claim, far past the first expiry, the lease is still held thanks to the renewals.
        Assert.Equal(lease.Owner, _store.OwnerOf(lease.WorkerId));
    }

    [Fact]
    public async Task StopsTheGeneratorWhenRenewalsFailPastExpiryAndResumesIfTheRowIsStillOurs()
    {
        await using var lease = await Acquire();
        var generator = new OrderIdGenerator(lease, timeProvider: _clock);
        _store.FailRenewals = true;

        await AdvanceToNextHeartbeat(TimeSpan.FromSeconds(10));
        await AdvanceToNextHeartbeat(TimeSpan.FromSeconds(10));
        await Eventually(() => _store.RenewCalls == 2);
        Assert.True(lease.IsHeld); // 20 s after the claim: still inside the 30 s lease
        generator.Next(1, 1);

        await AdvanceToNextHeartbeat(TimeSpan.FromSeconds(10));
        await Eventually(() => _store.RenewCalls == 3);
        Assert.False(lease.IsHeld); // 30 s: expired, renewals failed
        var error = Assert.Throws<ShardKitException>(() => generator.Next(1, 1));
        Assert.Equal(ShardKitErrorCode.IdGenerationFailed, error.ErrorCode);

        // Nobody took the row over (its owner is still this lease), so a later successful renewal is safe.
        _store.FailRenewals = false;
        await AdvanceToNextHeartbeat(TimeSpan.FromSeconds(10));
        await Eventually(() => lease.IsHeld);
        Assert.Equal(lease.WorkerId, generator.Next(1, 1).WorkerId);
    }

    [Fact]
    public async Task StopsForGoodWhenAnotherInstanceTookTheWorkerIdOver()
    {
        await using var lease = await Acquire();
        _store.TakeOver(lease.WorkerId);

        await AdvanceToNextHeartbeat(TimeSpan.FromSeconds(10));
        await Eventually(() => !lease.IsHeld);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(lease.IsHeld);
        Assert.Equal(0, _clock.ArmedTimerCount); // no more renewals
    }

    [Fact]
    public async Task ReleasesOnDisposeAndTheWorkerIdIsReusedOnlyAfterTheReuseDelay()
    {
        var lease = await Acquire();
        var workerId = lease.WorkerId;
        await lease.DisposeAsync();

        Assert.False(lease.IsHeld);
        Assert.Equal("", _store.OwnerOf(workerId));
        await using (var next = await Acquire())
        {
            Assert.NotEqual(workerId, next.WorkerId);
        }

        _clock.Advance(TimeSpan.FromSeconds(11));
        await using var later = await Acquire();
        Assert.Equal(workerId, later.WorkerId);
    }

    [Theory]
    [InlineData(1, 10, "LeaseDuration must be between 3 seconds and 10 minutes")]
    [InlineData(30, -1, "ReuseDelay must be between 0 and 10 minutes")]
    public async Task RejectsOutOfRangeOptions(int leaseSeconds, int reuseSeconds, string message)
    {
        var options = new DatabaseWorkerIdLeaseOptions { LeaseDuration = TimeSpan.FromSeconds(leaseSeconds), ReuseDelay = TimeSpan.FromSeconds(reuseSeconds) };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => DatabaseWorkerIdLease.AcquireCoreAsync(_store, options, null, _clock, CancellationToken.None));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectsAnOwnerNameLongerThan60Characters()
    {
        var options = new DatabaseWorkerIdLeaseOptions { OwnerName = new string('x', 61) };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => DatabaseWorkerIdLease.AcquireCoreAsync(_store, options, null, _clock, CancellationToken.None));
        Assert.Contains("OwnerName must be 1 to 60 printable characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectsANullDataSource()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => DatabaseWorkerIdLease.AcquireAsync(null!));
    }

    private Task<DatabaseWorkerIdLease> Acquire() =>
        DatabaseWorkerIdLease.AcquireCoreAsync(_store, s_options, null, _clock, CancellationToken.None);

    // Advances the clock once the renewal loop is waiting on its timer, so no heartbeat is skipped.
    private async Task AdvanceToNextHeartbeat(TimeSpan interval)
    {
        await Eventually(() => _clock.ArmedTimerCount == 1);
        _clock.Advance(interval);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        for (var attempt = 0; attempt < 500 && !condition(); attempt++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "the condition did not become true within 5 seconds");
    }
}

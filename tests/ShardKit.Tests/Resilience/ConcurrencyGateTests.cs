using ShardKit.Resilience;

namespace ShardKit.Tests.Resilience;

public sealed class ConcurrencyGateTests
{
    [Fact]
    public async Task QueuesUpToTheQueueLimitThenRejectsAtOnce()
    {
        var gate = new ConcurrencyGate(limit: 2, queueLimit: 1, nonEssentialShare: 0.5);
        Assert.True(await gate.TryEnterAsync(false, default));
        Assert.True(await gate.TryEnterAsync(false, default));

        var queued = gate.TryEnterAsync(false, default).AsTask();
        Assert.False(queued.IsCompleted);
        Assert.Equal(1, gate.Queued);
        Assert.False(await gate.TryEnterAsync(false, default));

        gate.Release();
        Assert.True(await queued);
        Assert.Equal(2, gate.InUse);
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task NonEssentialCallsUseOnlyTheirShareAndNeverQueue()
    {
        var gate = new ConcurrencyGate(limit: 4, queueLimit: 10, nonEssentialShare: 0.5);

        Assert.True(await gate.TryEnterAsync(true, default));
        Assert.True(await gate.TryEnterAsync(true, default));
        Assert.False(await gate.TryEnterAsync(true, default));
        Assert.True(await gate.TryEnterAsync(false, default));
        Assert.True(await gate.TryEnterAsync(false, default));
        Assert.Equal(0, gate.Queued);
    }

    [Fact]
    public async Task ACancelledWaiterLeavesTheQueueWithoutTakingASlot()
    {
        var gate = new ConcurrencyGate(limit: 1, queueLimit: 5, nonEssentialShare: 0);
        Assert.True(await gate.TryEnterAsync(false, default));
        using var cancel = new CancellationTokenSource();
        var waiting = gate.TryEnterAsync(false, cancel.Token).AsTask();

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, gate.Queued);
        gate.Release();
        Assert.Equal(0, gate.InUse);
    }
}

using ShardKit.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ShardKit.Orders;

namespace ShardKit.Tests.Orders;

public sealed class InlineCopyGateTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch);

    [Fact]
    public void LetsEveryCopyThroughUntilACopyToTheClusterFails()
    {
        var gate = new InlineCopyGate(_time);

        Assert.True(gate.TryEnter("c1"));
        Assert.True(gate.TryEnter("c1"));
        gate.OnSuccess("c1");
        Assert.True(gate.TryEnter("c1"));
    }

    [Fact]
    public void AfterAFailureLeavesTheClustersCopiesToTheRelayForThePauseThenLetsOneProbeThrough()
    {
        var gate = new InlineCopyGate(_time);

        Assert.Equal(InlineCopyGate.FirstPause, gate.OnFailure("c1"));
        Assert.False(gate.TryEnter("c1"));
        _time.Advance(InlineCopyGate.FirstPause - TimeSpan.FromMilliseconds(1));
        Assert.False(gate.TryEnter("c1"));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(gate.TryEnter("c1"));
        Assert.False(gate.TryEnter("c1"));

        gate.OnSuccess("c1");
        Assert.True(gate.TryEnter("c1"));
        Assert.True(gate.TryEnter("c1"));
    }

    [Fact]
    public void ThePauseDoublesWithEveryFailedProbeUpToTheMaximum()
    {
        var gate = new InlineCopyGate(_time);

        var pauses = new List<TimeSpan>();
        for (var i = 0; i < 10; i++)
        {
            pauses.Add(gate.OnFailure("c1"));
            _time.Advance(pauses[^1]);
            Assert.True(gate.TryEnter("c1"));
        }

        Assert.Equal(InlineCopyGate.FirstPause * 2, pauses[1]);
        Assert.Equal(InlineCopyGate.FirstPause * 4, pauses[2]);
        Assert.Equal(InlineCopyGate.MaxPause, pauses[^1]);
    }

    [Fact]
    public void AFailingClusterNeverHoldsBackCopiesToAnother()
    {
        var gate = new InlineCopyGate(_time);

        gate.OnFailure("c1");
        gate.OnFailure("c1");

        Assert.False(gate.TryEnter("c1"));
        Assert.True(gate.TryEnter("c0"));
    }

    [Fact]
    public void AnAbandonedProbeGivesItsSlotBack()
    {
        var gate = new InlineCopyGate(_time);
        gate.OnFailure("c1");
        _time.Advance(InlineCopyGate.FirstPause);

        Assert.True(gate.TryEnter("c1"));
        gate.OnAbandoned("c1");

        Assert.True(gate.TryEnter("c1"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(60_001)]
    public void TheStoreRefusesAMerchantCopyTimeoutOutOfRangeNamingIt(int milliseconds)
    {
        var options = new TwoDimensionOrderStoreOptions { MerchantCopyTimeout = TimeSpan.FromMilliseconds(milliseconds) };

        var error = Assert.Throws<ArgumentException>(() => OptionsValidator<TwoDimensionOrderStoreOptions>.ThrowIfInvalid(options, "options"));

        Assert.Contains("TwoDimensionOrderStoreOptions.MerchantCopyTimeout is", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaultMerchantCopyTimeoutIsValid() =>
        OptionsValidator<TwoDimensionOrderStoreOptions>.ThrowIfInvalid(new TwoDimensionOrderStoreOptions(), "options");
}

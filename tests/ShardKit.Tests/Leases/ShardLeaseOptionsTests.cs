using ShardKit.DependencyInjection;

namespace ShardKit.Tests.Leases;

public sealed class ShardLeaseOptionsTests
{
    [Theory]
    [InlineData("LeaseDuration", "OutboxRelayOptions.Leases.LeaseDuration is 00:00:00.5000000")]
    [InlineData("RenewInterval", "OutboxRelayOptions.Leases.RenewInterval is 00:00:10")]
    [InlineData("HolderName", "OutboxRelayOptions.Leases.HolderName must be 1 to 60 printable characters")]
    public void TheRelayRefusesLeaseOptionsOutOfRangeNamingThem(string option, string message)
    {
        var options = new OutboxRelayOptions();
        switch (option)
        {
            case "LeaseDuration": options.Leases.LeaseDuration = TimeSpan.FromMilliseconds(500); break;
            case "RenewInterval": options.Leases.RenewInterval = TimeSpan.FromSeconds(10); break;
            default: options.Leases.HolderName = ""; break;
        }

        var error = Assert.Throws<ArgumentException>(() => OptionsValidator<OutboxRelayOptions>.ThrowIfInvalid(options, "options"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSweeperNamesItsLeaseOptionsToo()
    {
        var options = new AlternateKeyStoreOptions { SweepLeases = { RenewInterval = TimeSpan.FromMilliseconds(10) } };

        var error = Assert.Throws<ArgumentException>(() => OptionsValidator<AlternateKeyStoreOptions>.ThrowIfInvalid(options, "options"));
        Assert.Contains("AlternateKeyStoreOptions.SweepLeases.RenewInterval is 00:00:00.0100000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDefaultsAreValidAndLeasesAreOn()
    {
        var options = new OutboxRelayOptions();
        OptionsValidator<OutboxRelayOptions>.ThrowIfInvalid(options, "options");
        Assert.True(options.Leases.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Leases.LeaseDuration);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Leases.RenewInterval);
    }
}

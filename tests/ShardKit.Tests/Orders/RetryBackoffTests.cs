using ShardKit.DependencyInjection;

namespace ShardKit.Tests.Orders;

public sealed class RetryBackoffTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(6, 32)]
    [InlineData(7, 60)]
    [InlineData(1000, 60)]
    public void DoublesFromTheBaseDelayUpToTheCap(int attempt, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), RetryBackoff.Delay(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));

    [Theory]
    [InlineData(nameof(OutboxRelayOptions.BatchSize), "BatchSize is 0")]
    [InlineData(nameof(OutboxRelayOptions.Parallelism), "Parallelism is 0")]
    [InlineData(nameof(OutboxRelayOptions.RetryMaxDelay), "is below RetryBaseDelay")]
    [InlineData(nameof(OutboxRelayOptions.PollInterval), "PollInterval is 00:00:00")]
    public void TheRelayRefusesOptionsOutOfRangeNamingThem(string option, string message)
    {
        var options = new OutboxRelayOptions();
        switch (option)
        {
            case nameof(OutboxRelayOptions.BatchSize): options.BatchSize = 0; break;
            case nameof(OutboxRelayOptions.Parallelism): options.Parallelism = 0; break;
            case nameof(OutboxRelayOptions.RetryMaxDelay): options.RetryMaxDelay = TimeSpan.FromMilliseconds(1); break;
            default: options.PollInterval = TimeSpan.Zero; break;
        }

        var error = Assert.Throws<ArgumentException>(() => OptionsValidator<OutboxRelayOptions>.ThrowIfInvalid(options, "options"));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}

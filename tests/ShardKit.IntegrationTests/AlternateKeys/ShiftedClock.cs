namespace ShardKit.IntegrationTests.AlternateKeys;

/// <summary>The system clock moved by a fixed offset: writes made through it look older (or younger) than they are.</summary>
internal sealed class ShiftedClock(TimeSpan offset) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}

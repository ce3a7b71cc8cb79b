namespace ShardKit.Migration;

/// <summary>
/// One bucket's fence row as a write transaction read it under a shared lock: which side is authoritative, whether
/// writes on this side log their keys to the change table, and the epoch (raised by one at every cutover and rollback).
/// </summary>
internal readonly record struct FenceState(Authority Authority, bool Capture, int Epoch)
{
    public const string SourceName = "source";
    public const string TargetName = "target";

    public static string NameOf(Authority authority) => authority == Authority.Source ? SourceName : TargetName;

    public static Authority Parse(string value) => value switch
    {
        SourceName => Authority.Source,
        TargetName => Authority.Target,
        _ => throw new InvalidOperationException($"Unknown fence authority '{value}'."),
    };
}

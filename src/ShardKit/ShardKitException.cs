namespace ShardKit;

/// <summary>The exception ShardKit throws for routing, topology and shard-level failures.</summary>
public sealed class ShardKitException : Exception
{
    /// <summary>Creates an exception with an error code and a message.</summary>
    public ShardKitException(ShardKitErrorCode errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>Creates an exception with <see cref="ShardKitErrorCode.Unknown"/>.</summary>
    public ShardKitException()
        : this(ShardKitErrorCode.Unknown, "A ShardKit error occurred.")
    {
    }

    /// <summary>Creates an exception with <see cref="ShardKitErrorCode.Unknown"/> and a message.</summary>
    public ShardKitException(string message)
        : this(ShardKitErrorCode.Unknown, message)
    {
    }

    /// <summary>Creates an exception with <see cref="ShardKitErrorCode.Unknown"/>, a message and an inner exception.</summary>
    public ShardKitException(string message, Exception innerException)
        : this(ShardKitErrorCode.Unknown, message, innerException)
    {
    }

    /// <summary>Why the operation failed.</summary>
    public ShardKitErrorCode ErrorCode { get; }

    /// <summary>Whether retrying the same operation later may succeed.</summary>
    public bool IsTransient => ErrorCode is ShardKitErrorCode.ShardUnavailable or ShardKitErrorCode.Overloaded or ShardKitErrorCode.ShardMoved;

    /// <summary>The logical shard the failure concerns, when there is one (for example <c>user:17</c>).</summary>
    public string? Shard { get; init; }

    /// <summary>With <see cref="ShardKitErrorCode.AlternateKeyTaken"/>: the key that is taken.</summary>
    public AlternateKey? AlternateKey { get; init; }

    /// <summary>
    /// With <see cref="ShardKitErrorCode.AlternateKeyTaken"/>: the target the key already names — another user's order, for
    /// the service's logs only. The message never names it, so that a caller cannot probe keys to learn others' orders.
    /// </summary>
    public AlternateKeyTarget? ExistingTarget { get; init; }

    /// <summary>With <see cref="ShardKitErrorCode.AlternateKeyTaken"/>: the target this call asked the key to name.</summary>
    public AlternateKeyTarget? RequestedTarget { get; init; }
}

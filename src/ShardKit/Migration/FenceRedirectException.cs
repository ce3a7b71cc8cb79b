namespace ShardKit.Migration;

/// <summary>
/// Thrown inside a write transaction whose side's fence says the other side is authoritative: the transaction rolls back
/// and <see cref="MigratingOrderStore"/> retries the write on <see cref="Authority"/>.
/// </summary>
internal sealed class FenceRedirectException : Exception
{
    public FenceRedirectException(int bucket, Authority authority)
        : base($"Bucket {bucket} is written on the {FenceState.NameOf(authority)} side now.")
    {
        Bucket = bucket;
        Authority = authority;
    }

    public FenceRedirectException()
    {
    }

    public FenceRedirectException(string message)
        : base(message)
    {
    }

    public FenceRedirectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Bucket { get; }

    public Authority Authority { get; }
}

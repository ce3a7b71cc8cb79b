namespace ShardKit.Testing;

/// <summary>A local MariaDB topology could not be started or controlled.</summary>
public sealed class MariaDbTopologyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MariaDbTopologyException()
        : base("A local MariaDB topology operation failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MariaDbTopologyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public MariaDbTopologyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

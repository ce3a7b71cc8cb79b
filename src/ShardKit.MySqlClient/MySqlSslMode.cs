namespace ShardKit.MySqlClient;

/// <summary>Whether and how the connection uses TLS (connection string keyword <c>SslMode</c>).</summary>
public enum MySqlSslMode
{
    /// <summary>Never use TLS.</summary>
    None,

    /// <summary>Use TLS when the server supports it, without validating its certificate.</summary>
    Preferred,

    /// <summary>Require TLS, without validating the server certificate.</summary>
    Required,

    /// <summary>Require TLS and a server certificate that chains to a trusted CA (<c>SslCa</c> or the system store); the host name is not checked.</summary>
    VerifyCA,

    /// <summary>Require TLS, a trusted certificate chain and a certificate issued for the server's host name.</summary>
    VerifyFull,
}

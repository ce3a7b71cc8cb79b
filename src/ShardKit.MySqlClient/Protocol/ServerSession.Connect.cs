using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ShardKit.MySqlClient.Protocol;

/// <summary>Opening a session: TCP connect, Handshake V10, optional TLS upgrade, authentication and session set-up.</summary>
internal sealed partial class ServerSession
{
    private const byte Utf8Mb4GeneralCi = 45;
    private const uint MaxPacketSize = 1 << 30;

    private static readonly string s_clientVersion =
        typeof(ServerSession).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";

    /// <summary>Opens and authenticates a new physical connection within the settings' connect timeout.</summary>
    /// <param name="settings">Where to connect and how to authenticate.</param>
    /// <param name="initializeSession">False for the side connections that only send KILL QUERY.</param>
    /// <param name="io">Whether the I/O is asynchronous or synchronous.</param>
    /// <param name="cancellationToken">Cancels the connection attempt.</param>
    public static async ValueTask<ServerSession> ConnectAsync(ConnectionSettings settings, bool initializeSession, IOBehavior io, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var session = new ServerSession(settings, socket);
        using var timeout = new CancellationTokenSource();
        if (settings.ConnectTimeout != Timeout.InfiniteTimeSpan)
        {
            timeout.CancelAfter(settings.ConnectTimeout);
        }

        // Disposing the socket aborts whatever blocking or asynchronous call is in progress, on both paths.
        var timeoutRegistration = timeout.Token.UnsafeRegister(static s => ((ServerSession)s!).Abort(), session);
        var cancelRegistration = cancellationToken.UnsafeRegister(static s => ((ServerSession)s!).Abort(), session);
        try
        {
            await session.ConnectSocketAsync(io).ConfigureAwait(false);
            await session.HandshakeAsync(io).ConfigureAwait(false);
            if (initializeSession)
            {
                await session.InitializeSessionAsync(io).ConfigureAwait(false);
            }

            // Once these return, neither callback can still run; if one already did, the session is unusable.
            timeoutRegistration.Dispose();
            cancelRegistration.Dispose();
            if (session.IsBroken)
            {
                throw new MySqlException(MySqlErrorCode.ConnectionLost, null, "The connection was aborted as it opened.");
            }

            return session;
        }
        catch (Exception ex) when (timeout.IsCancellationRequested || cancellationToken.IsCancellationRequested)
        {
            session.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            throw new MySqlException(MySqlErrorCode.UnableToConnectToHost, null,
                $"Could not connect to the MySQL server at {settings.Endpoint} within the connection timeout of {settings.ConnectTimeout.TotalSeconds:0.###} s.", ex);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        finally
        {
            timeoutRegistration.Dispose();
            cancelRegistration.Dispose();
        }
    }

    private async ValueTask ConnectSocketAsync(IOBehavior io)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(Settings.Host, out var literal)
                ? [literal]
                : io == IOBehavior.Asynchronous
                    ? await Dns.GetHostAddressesAsync(Settings.Host).ConfigureAwait(false)
                    : Dns.GetHostAddresses(Settings.Host);
        }
        catch (SocketException ex)
        {
            throw new MySqlException(MySqlErrorCode.UnableToConnectToHost, null, $"Could not resolve the MySQL server host '{Settings.Host}': {ex.Message}", ex);
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var endpoint = new IPEndPoint(address, Settings.Port);
            try
            {
                if (address.AddressFamily != _socket.AddressFamily && !_socket.DualMode)
                {
                    _socket.Dispose();
                    _socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                }

                if (io == IOBehavior.Asynchronous)
                {
                    await _socket.ConnectAsync(endpoint).ConfigureAwait(false);
                }
                else
                {
                    _socket.Connect(endpoint);
                }

                _packets.Stream = new NetworkStream(_socket, ownsSocket: false);
                return;
            }
            catch (SocketException ex)
            {
                last = ex;
            }
        }

        throw new MySqlException(MySqlErrorCode.UnableToConnectToHost, null,
            $"Could not connect to the MySQL server at {Settings.Endpoint}: {last?.Message ?? "the host name resolved to no address"}", last);
    }

    private async ValueTask HandshakeAsync(IOBehavior io)
    {
        _packets.SequenceId = 0;
        var payload = await _packets.ReadPayloadAsync(io, CancellationToken.None).ConfigureAwait(false);
        var handshake = InitialHandshake.Parse(payload.Span);
        ConnectionId = handshake.ConnectionId;
        ServerVersion = handshake.ServerVersion;
        IsMariaDb = handshake.IsMariaDb;

        var wanted = CapabilityFlags.LongPassword | CapabilityFlags.LongFlag | CapabilityFlags.Protocol41
            | CapabilityFlags.Transactions | CapabilityFlags.SecureConnection | CapabilityFlags.MultiStatements
            | CapabilityFlags.MultiResults | CapabilityFlags.PsMultiResults | CapabilityFlags.PluginAuth
            | CapabilityFlags.PluginAuthLengthEncodedClientData | CapabilityFlags.SessionTrack
            | CapabilityFlags.DeprecateEof | CapabilityFlags.ConnectAttributes;
        if (!Settings.UseAffectedRows)
        {
            wanted |= CapabilityFlags.FoundRows;
        }

        if (Settings.Database.Length > 0)
        {
            wanted |= CapabilityFlags.ConnectWithDb;
        }

        var useTls = Settings.SslMode != MySqlSslMode.None && (handshake.Capabilities & CapabilityFlags.Ssl) != 0;
        if (Settings.SslMode >= MySqlSslMode.Required && !useTls)
        {
            throw new MySqlException(MySqlErrorCode.TlsFailed, null, $"SslMode={Settings.SslMode} requires TLS, but the server at {Settings.Endpoint} does not support it.");
        }

        if (useTls)
        {
            wanted |= CapabilityFlags.Ssl;
        }

        _capabilities = wanted & handshake.Capabilities;
        if ((_capabilities & CapabilityFlags.ConnectWithDb) == 0 && Settings.Database.Length > 0)
        {
            throw new MySqlException(MySqlErrorCode.ProtocolError, null, "The server does not support selecting a database at connect time.");
        }

        using var builder = new PayloadBuilder(256);
        if (useTls)
        {
            builder.WriteUInt32((uint)_capabilities);
            builder.WriteUInt32(MaxPacketSize);
            builder.WriteByte(Utf8Mb4GeneralCi);
            builder.WriteZeros(23);
            await _packets.WritePayloadAsync(builder, io, CancellationToken.None).ConfigureAwait(false);
            await UpgradeToTlsAsync(io).ConfigureAwait(false);
            builder.Clear();
        }

        var plugin = handshake.AuthPluginName is AuthenticationMethods.CachingSha2Password ? AuthenticationMethods.CachingSha2Password : AuthenticationMethods.NativePassword;
        var scramble = handshake.AuthData;
        var authResponse = ComputeAuthResponse(plugin, scramble);

        builder.WriteUInt32((uint)_capabilities);
        builder.WriteUInt32(MaxPacketSize);
        builder.WriteByte(Utf8Mb4GeneralCi);
        builder.WriteZeros(23);
        builder.WriteNullTerminatedString(Settings.User);
        if ((_capabilities & CapabilityFlags.PluginAuthLengthEncodedClientData) != 0)
        {
            builder.WriteLengthEncodedBytes(authResponse);
        }
        else
        {
            builder.WriteByte((byte)authResponse.Length);
            builder.WriteBytes(authResponse);
        }

        if ((_capabilities & CapabilityFlags.ConnectWithDb) != 0)
        {
            builder.WriteNullTerminatedString(Settings.Database);
        }

        if ((_capabilities & CapabilityFlags.PluginAuth) != 0)
        {
            builder.WriteNullTerminatedString(plugin);
        }

        if ((_capabilities & CapabilityFlags.ConnectAttributes) != 0)
        {
            using var attributes = new PayloadBuilder(128);
            attributes.WriteLengthEncodedString("_client_name");
            attributes.WriteLengthEncodedString("ShardKit.MySqlClient");
            attributes.WriteLengthEncodedString("_client_version");
            attributes.WriteLengthEncodedString(s_clientVersion);
            attributes.WriteLengthEncodedString("_pid");
            attributes.WriteLengthEncodedString(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (Settings.ApplicationName.Length > 0)
            {
                attributes.WriteLengthEncodedString("program_name");
                attributes.WriteLengthEncodedString(Settings.ApplicationName);
            }

            builder.WriteLengthEncodedBytes(attributes.Payload.Span);
        }

        await _packets.WritePayloadAsync(builder, io, CancellationToken.None).ConfigureAwait(false);
        await AuthenticateAsync(plugin, scramble, io).ConfigureAwait(false);
    }

    private byte[] ComputeAuthResponse(string plugin, ReadOnlySpan<byte> scramble) => plugin switch
    {
        AuthenticationMethods.NativePassword => AuthenticationMethods.ScrambleNative(Settings.Password, scramble),
        AuthenticationMethods.CachingSha2Password => AuthenticationMethods.ScrambleCachingSha2(Settings.Password, scramble),
        AuthenticationMethods.ClearPassword when IsTls => AuthenticationMethods.ClearTextPassword(Settings.Password),
        AuthenticationMethods.ClearPassword => throw new MySqlException(MySqlErrorCode.AuthenticationFailed, null,
            "The server asked for mysql_clear_password, which would send the password unencrypted; it is only used over TLS."),
        _ => throw new MySqlException(MySqlErrorCode.AuthenticationFailed, null, $"The server asked for the authentication plugin '{plugin}', which this driver does not support."),
    };

    private async ValueTask AuthenticateAsync(string plugin, byte[] scramble, IOBehavior io)
    {
        using var builder = new PayloadBuilder(512);
        while (true)
        {
            var payload = await _packets.ReadPayloadAsync(io, CancellationToken.None).ConfigureAwait(false);
            if (payload.Length == 0)
            {
                throw MySqlException.Protocol("empty packet during authentication");
            }

            switch (payload.Span[0])
            {
                case 0x00:
                    ApplyOk(OkPacket.Parse(payload.Span, SessionTrack));
                    return;
                case ErrorPacket.Header:
                    throw ErrorPacket.Parse(payload.Span).ToException();
                case 0xFE:
                {
                    var reader = new PayloadReader(payload.Span);
                    reader.ReadByte();
                    if (reader.Remaining == 0)
                    {
                        throw new MySqlException(MySqlErrorCode.AuthenticationFailed, null, "The server asked for the pre-4.1 password hashing, which is insecure and not supported.");
                    }

                    plugin = reader.ReadNullTerminatedString();
                    var data = reader.ReadToEnd();
                    scramble = (data.Length > 0 && data[^1] == 0 ? data[..^1] : data).ToArray();
                    builder.Clear();
                    builder.WriteBytes(ComputeAuthResponse(plugin, scramble));
                    await _packets.WritePayloadAsync(builder, io, CancellationToken.None).ConfigureAwait(false);
                    break;
                }

                case 0x01 when plugin == AuthenticationMethods.CachingSha2Password && payload.Length == 2:
                    if (payload.Span[1] == AuthenticationMethods.FastAuthSuccess)
                    {
                        break;
                    }

                    if (payload.Span[1] != AuthenticationMethods.PerformFullAuthentication)
                    {
                        throw MySqlException.Protocol($"unknown caching_sha2_password status {payload.Span[1]}");
                    }

                    await SendFullAuthenticationAsync(scramble, builder, io).ConfigureAwait(false);
                    break;
                default:
                    throw MySqlException.Protocol($"unexpected packet 0x{payload.Span[0]:X2} during authentication");
            }
        }
    }

    private async ValueTask SendFullAuthenticationAsync(byte[] scramble, PayloadBuilder builder, IOBehavior io)
    {
        builder.Clear();
        if (IsTls)
        {
            builder.WriteBytes(AuthenticationMethods.ClearTextPassword(Settings.Password));
            await _packets.WritePayloadAsync(builder, io, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        string publicKey;
        if (Settings.ServerRsaPublicKeyFile.Length > 0)
        {
            try
            {
                publicKey = io == IOBehavior.Asynchronous
                    ? await File.ReadAllTextAsync(Settings.ServerRsaPublicKeyFile).ConfigureAwait(false)
                    : File.ReadAllText(Settings.ServerRsaPublicKeyFile);
            }
            catch (IOException ex)
            {
                throw new MySqlException(MySqlErrorCode.AuthenticationFailed, null, $"Could not read 'Server RSA Public Key File' ({Settings.ServerRsaPublicKeyFile}): {ex.Message}", ex);
            }
        }
        else if (Settings.AllowPublicKeyRetrieval)
        {
            builder.WriteByte(AuthenticationMethods.RequestPublicKey);
            await _packets.WritePayloadAsync(builder, io, CancellationToken.None).ConfigureAwait(false);
            var keyPacket = await _packets.ReadPayloadAsync(io, CancellationToken.None).ConfigureAwait(false);
            if (keyPacket.Length < 2 || keyPacket.Span[0] != 0x01)
            {
                if (keyPacket.Length > 0 && keyPacket.Span[0] == ErrorPacket.Header)
                {
                    throw ErrorPacket.Parse(keyPacket.Span).ToException();
                }

                throw MySqlException.Protocol("the server did not send its RSA public key");
            }

            publicKey = Encoding.ASCII.GetString(keyPacket.Span[1..]);
            builder.Clear();
        }
        else
        {
            throw new MySqlException(MySqlErrorCode.AuthenticationFailed, null,
                "caching_sha2_password full authentication needs the password sent securely: use TLS (SslMode), set 'Server RSA Public Key File', or set 'Allow Public Key Retrieval=true'.");
        }

        builder.WriteBytes(AuthenticationMethods.EncryptPassword(Settings.Password, scramble, publicKey));
        await _packets.WritePayloadAsync(builder, io, CancellationToken.None).ConfigureAwait(false);
    }

    private async ValueTask UpgradeToTlsAsync(IOBehavior io)
    {
        X509Certificate2? ca = null;
        if (Settings.SslCa.Length > 0 && Settings.SslMode >= MySqlSslMode.VerifyCA)
        {
            try
            {
                ca = X509CertificateLoader.LoadCertificateFromFile(Settings.SslCa);
            }
            catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException)
            {
                throw new MySqlException(MySqlErrorCode.TlsFailed, null, $"Could not load the CA certificate 'SslCa' ({Settings.SslCa}): {ex.Message}", ex);
            }
        }

        var ssl = new SslStream(_packets.Stream, leaveInnerStreamOpen: false, (_, certificate, chain, errors) => ValidateServerCertificate(certificate, errors, ca));
        var options = new SslClientAuthenticationOptions { TargetHost = Settings.Host };
        try
        {
            if (io == IOBehavior.Asynchronous)
            {
                await ssl.AuthenticateAsClientAsync(options).ConfigureAwait(false);
            }
            else
            {
                ssl.AuthenticateAsClient(options);
            }
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            ssl.Dispose();
            throw new MySqlException(MySqlErrorCode.TlsFailed, null, $"TLS negotiation with {Settings.Endpoint} failed (SslMode={Settings.SslMode}): {ex.Message}", ex);
        }
        finally
        {
            ca?.Dispose();
        }

        _packets.Stream = ssl;
        IsTls = true;
    }

    private bool ValidateServerCertificate(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2? ca)
    {
        if (Settings.SslMode < MySqlSslMode.VerifyCA)
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        if (Settings.SslMode == MySqlSslMode.VerifyFull && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        if (ca is null)
        {
            return (errors & SslPolicyErrors.RemoteCertificateChainErrors) == 0 && (errors & SslPolicyErrors.RemoteCertificateNotAvailable) == 0;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var serverCertificate = new X509Certificate2(certificate);
        return chain.Build(serverCertificate);
    }

    private async ValueTask InitializeSessionAsync(IOBehavior io)
    {
        var sql = SessionTrackingSql;
        if (sql is null)
        {
            return;
        }

        using var builder = new PayloadBuilder(128);
        builder.WriteByte(CommandQuery);
        builder.WriteUtf8(sql);
        _packets.SequenceId = 0;
        await _packets.WritePayloadAsync(builder, io, CancellationToken.None).ConfigureAwait(false);
        await ReadOkAsync(io, CancellationToken.None).ConfigureAwait(false);
        _needsReset = false;
    }

    /// <summary>
    /// The statement that turns on tracking of the last committed GTID and of any other change of session state
    /// (which decides whether a returned session needs a reset), or null when the server cannot track them.
    /// </summary>
    private string? SessionTrackingSql => !SessionTrack ? null
        : IsMariaDb ? "SET session_track_system_variables='last_gtid', session_track_state_change=ON"
        : "SET session_track_gtids=OWN_GTID, session_track_state_change=ON";

    private static long Timestamp() => Stopwatch.GetTimestamp();
}

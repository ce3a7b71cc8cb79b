namespace ShardKit.MySqlClient.Protocol;

/// <summary>The server's Handshake V10 packet.</summary>
internal sealed class InitialHandshake
{
    private InitialHandshake(string serverVersion, uint connectionId, byte[] authData, CapabilityFlags capabilities, ServerStatus status, string authPluginName)
    {
        ServerVersion = serverVersion;
        ConnectionId = connectionId;
        AuthData = authData;
        Capabilities = capabilities;
        Status = status;
        AuthPluginName = authPluginName;
    }

    /// <summary>The server version with MariaDB's "5.5.5-" replication prefix removed.</summary>
    public string ServerVersion { get; }

    public uint ConnectionId { get; }

    /// <summary>The 20-byte scramble (nonce) used by the authentication plugins.</summary>
    public byte[] AuthData { get; }

    public CapabilityFlags Capabilities { get; }

    public ServerStatus Status { get; }

    public string AuthPluginName { get; }

    public bool IsMariaDb => ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);

    public static InitialHandshake Parse(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        var protocolVersion = reader.ReadByte();
        if (protocolVersion == 0xFF)
        {
            throw ErrorPacket.Parse(payload, protocol41: false).ToException();
        }

        if (protocolVersion != 10)
        {
            throw MySqlException.Protocol($"unsupported handshake protocol version {protocolVersion}");
        }

        var version = reader.ReadNullTerminatedString();
        if (version.StartsWith("5.5.5-", StringComparison.Ordinal))
        {
            version = version[6..];
        }

        var connectionId = reader.ReadUInt32();
        var scramble1 = reader.ReadBytes(8);
        reader.ReadByte();
        var capabilities = (CapabilityFlags)reader.ReadUInt16();
        var status = ServerStatus.None;
        var authDataLength = 0;
        if (reader.Remaining > 0)
        {
            reader.ReadByte(); // character set
            status = (ServerStatus)reader.ReadUInt16();
            capabilities |= (CapabilityFlags)((uint)reader.ReadUInt16() << 16);
            authDataLength = reader.ReadByte();
            reader.Skip(10);
        }

        if ((capabilities & CapabilityFlags.Protocol41) == 0)
        {
            throw new MySqlException(MySqlErrorCode.ProtocolError, null, $"The server ({version}) does not support protocol 4.1, which this driver requires.");
        }

        var scramble = new byte[20];
        scramble1.CopyTo(scramble);
        var authDataFilled = 8;
        if ((capabilities & CapabilityFlags.SecureConnection) != 0)
        {
            var part2Length = Math.Max(13, authDataLength - 8);
            var part2 = reader.ReadBytes(part2Length);
            var useful = part2.Length > 0 && part2[^1] == 0 ? part2[..^1] : part2;
            if (useful.Length > 12)
            {
                useful = useful[..12];
            }

            useful.CopyTo(scramble.AsSpan(8));
            authDataFilled += useful.Length;
        }

        var plugin = "mysql_native_password";
        if ((capabilities & CapabilityFlags.PluginAuth) != 0 && reader.Remaining > 0)
        {
            plugin = reader.ReadNullTerminatedOrEofString();
        }

        return new InitialHandshake(version, connectionId, scramble[..authDataFilled], capabilities, status, plugin);
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ShardKit.Tests.MySqlClient;

/// <summary>
/// A loopback TCP server that speaks just enough of the MySQL protocol for a test: the test supplies the
/// conversation for one client connection, packet by packet.
/// </summary>
internal sealed class FakeMySqlServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _serverTask;

    public FakeMySqlServer(Func<FakeConnection, Task> conversation)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _serverTask = Task.Run(async () =>
        {
            using var client = await _listener.AcceptTcpClientAsync();
            await using var stream = client.GetStream();
            await conversation(new FakeConnection(stream));
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Waits for the conversation to end and rethrows any assertion it failed.</summary>
    public Task Completion => _serverTask;

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _serverTask.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            // The test asserts on Completion when it cares about the server's outcome.
        }
    }

    /// <summary>A Handshake V10 packet announcing <paramref name="plugin"/> with a 20-byte nonce.</summary>
    public static byte[] Handshake(byte[] nonce, string plugin, uint capabilities)
    {
        var packet = new List<byte> { 10 };
        packet.AddRange(Encoding.ASCII.GetBytes("8.0.36\0"));
        packet.AddRange(BitConverter.GetBytes(77u));
        packet.AddRange(nonce[..8]);
        packet.Add(0);
        packet.AddRange(BitConverter.GetBytes((ushort)(capabilities & 0xFFFF)));
        packet.Add(45);
        packet.AddRange(BitConverter.GetBytes((ushort)2));
        packet.AddRange(BitConverter.GetBytes((ushort)(capabilities >> 16)));
        packet.Add(21);
        packet.AddRange(new byte[10]);
        packet.AddRange(nonce[8..]);
        packet.Add(0);
        packet.AddRange(Encoding.ASCII.GetBytes(plugin + "\0"));
        return [.. packet];
    }

    public static readonly byte[] Ok = [0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00];

    /// <summary>Protocol41 | SecureConnection | PluginAuth | PluginAuthLenenc | Transactions | MultiStatements | MultiResults | DeprecateEof.</summary>
    public const uint BasicCapabilities = 0x200 | 0x8000 | 0x8_0000 | 0x20_0000 | 0x2000 | 0x1_0000 | 0x2_0000 | 0x100_0000 | 1;

    internal sealed class FakeConnection(NetworkStream stream)
    {
        public async Task<(byte Sequence, byte[] Payload)> ReadPacketAsync()
        {
            var header = new byte[4];
            await stream.ReadExactlyAsync(header);
            var length = header[0] | (header[1] << 8) | (header[2] << 16);
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload);
            return (header[3], payload);
        }

        public async Task WritePacketAsync(byte sequence, byte[] payload)
        {
            var frame = new byte[payload.Length + 4];
            frame[0] = (byte)payload.Length;
            frame[1] = (byte)(payload.Length >> 8);
            frame[2] = (byte)(payload.Length >> 16);
            frame[3] = sequence;
            payload.CopyTo(frame, 4);
            await stream.WriteAsync(frame);
        }

        public Task WriteRawAsync(byte[] bytes) => stream.WriteAsync(bytes).AsTask();

        /// <summary>Parses a HandshakeResponse41: returns the user name and the auth response.</summary>
        public static (string User, byte[] AuthResponse) ParseHandshakeResponse(byte[] payload)
        {
            var position = 32;
            var userEnd = Array.IndexOf(payload, (byte)0, position);
            var user = Encoding.UTF8.GetString(payload, position, userEnd - position);
            position = userEnd + 1;
            int length = payload[position++];
            return (user, payload[position..(position + length)]);
        }
    }
}

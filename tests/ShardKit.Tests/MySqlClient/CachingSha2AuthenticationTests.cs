using System.Security.Cryptography;
using System.Text;
using ShardKit.MySqlClient;

namespace ShardKit.Tests.MySqlClient;

public sealed class CachingSha2AuthenticationTests
{
    private const string Password = "s3cret-päss";

    private static string ConnectionString(int port, string password = Password, string extra = "") =>
        $"Server=127.0.0.1;Port={port};User ID=app;Password={password};Pooling=false;SslMode=None;Connection Timeout=60;{extra}";

    [Fact]
    public async Task FastPathSendsTheScrambleTheServerCanVerifyFromItsCachedHash()
    {
        var nonce = RandomNumberGenerator.GetBytes(20);
        var stored = SHA256.HashData(SHA256.HashData(Encoding.UTF8.GetBytes(Password)));
        string? user = null;
        await using var server = new FakeMySqlServer(async c =>
        {
            await c.WritePacketAsync(0, FakeMySqlServer.Handshake(nonce, "caching_sha2_password", FakeMySqlServer.BasicCapabilities));
            var (sequence, response) = await c.ReadPacketAsync();
            Assert.Equal(1, sequence);
            (user, var scramble) = FakeMySqlServer.FakeConnection.ParseHandshakeResponse(response);

            // Server side of caching_sha2_password: recover SHA256(password) and compare its hash with the cache.
            var mask = SHA256.HashData([.. stored, .. nonce]);
            var candidate = scramble.Select((b, i) => (byte)(b ^ mask[i])).ToArray();
            Assert.Equal(stored, SHA256.HashData(candidate));

            await c.WritePacketAsync(2, [0x01, 0x03]);
            await c.WritePacketAsync(3, FakeMySqlServer.Ok);
            var (_, quit) = await c.ReadPacketAsync();
            Assert.Equal(new byte[] { 0x01 }, quit);
        });

        await using (var connection = new MySqlConnection(ConnectionString(server.Port)))
        {
            await connection.OpenAsync();
            Assert.Equal(System.Data.ConnectionState.Open, connection.State);
            Assert.Equal("8.0.36", connection.ServerVersion);
        }

        await server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("app", user);
    }

    [Fact]
    public async Task FullAuthenticationFetchesThePublicKeyAndSendsThePasswordRsaOaepEncrypted()
    {
        var nonce = RandomNumberGenerator.GetBytes(20);
        using var rsa = RSA.Create(2048);
        string? decrypted = null;
        await using var server = new FakeMySqlServer(async c =>
        {
            await c.WritePacketAsync(0, FakeMySqlServer.Handshake(nonce, "caching_sha2_password", FakeMySqlServer.BasicCapabilities));
            await c.ReadPacketAsync();
            await c.WritePacketAsync(2, [0x01, 0x04]);
            var (sequence, request) = await c.ReadPacketAsync();
            Assert.Equal(3, sequence);
            Assert.Equal(new byte[] { 0x02 }, request);
            await c.WritePacketAsync(4, [0x01, .. Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem())]);
            var (_, encrypted) = await c.ReadPacketAsync();
            var plain = rsa.Decrypt(encrypted, RSAEncryptionPadding.OaepSHA1);
            decrypted = Encoding.UTF8.GetString(plain.Select((b, i) => (byte)(b ^ nonce[i % nonce.Length])).ToArray());
            await c.WritePacketAsync(6, FakeMySqlServer.Ok);
            await c.ReadPacketAsync();
        });

        await using (var connection = new MySqlConnection(ConnectionString(server.Port, extra: "Allow Public Key Retrieval=true")))
        {
            await connection.OpenAsync();
        }

        await server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Password + "\0", decrypted);
    }

    [Fact]
    public async Task FullAuthenticationUsesTheConfiguredPublicKeyFileWithoutAskingTheServer()
    {
        var nonce = RandomNumberGenerator.GetBytes(20);
        using var rsa = RSA.Create(2048);
        var keyFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(keyFile, rsa.ExportSubjectPublicKeyInfoPem());
        string? decrypted = null;
        await using var server = new FakeMySqlServer(async c =>
        {
            await c.WritePacketAsync(0, FakeMySqlServer.Handshake(nonce, "caching_sha2_password", FakeMySqlServer.BasicCapabilities));
            await c.ReadPacketAsync();
            await c.WritePacketAsync(2, [0x01, 0x04]);
            var (sequence, encrypted) = await c.ReadPacketAsync();
            Assert.Equal(3, sequence);
            var plain = rsa.Decrypt(encrypted, RSAEncryptionPadding.OaepSHA1);
            decrypted = Encoding.UTF8.GetString(plain.Select((b, i) => (byte)(b ^ nonce[i % nonce.Length])).ToArray());
            await c.WritePacketAsync(4, FakeMySqlServer.Ok);
            await c.ReadPacketAsync();
        });

        try
        {
            using (var connection = new MySqlConnection(ConnectionString(server.Port, extra: $"Server RSA Public Key File={keyFile}")))
            {
                connection.Open();
            }

            await server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(Password + "\0", decrypted);
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Fact]
    public async Task FullAuthenticationWithoutTlsOrKeyFailsWithAClearMessage()
    {
        var nonce = RandomNumberGenerator.GetBytes(20);
        await using var server = new FakeMySqlServer(async c =>
        {
            await c.WritePacketAsync(0, FakeMySqlServer.Handshake(nonce, "caching_sha2_password", FakeMySqlServer.BasicCapabilities));
            await c.ReadPacketAsync();
            await c.WritePacketAsync(2, [0x01, 0x04]);
        });

        await using var connection = new MySqlConnection(ConnectionString(server.Port));
        var ex = await Assert.ThrowsAsync<MySqlException>(() => connection.OpenAsync());
        Assert.Equal(MySqlErrorCode.AuthenticationFailed, ex.ErrorCode);
        Assert.Contains("Allow Public Key Retrieval", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthSwitchToNativePasswordAnswersWithTheNewScramble()
    {
        var nonce = RandomNumberGenerator.GetBytes(20);
        var switchNonce = RandomNumberGenerator.GetBytes(20);
        await using var server = new FakeMySqlServer(async c =>
        {
            await c.WritePacketAsync(0, FakeMySqlServer.Handshake(nonce, "caching_sha2_password", FakeMySqlServer.BasicCapabilities));
            await c.ReadPacketAsync();
            await c.WritePacketAsync(2, [0xFE, .. Encoding.ASCII.GetBytes("mysql_native_password\0"), .. switchNonce, 0]);
            var (sequence, response) = await c.ReadPacketAsync();
            Assert.Equal(3, sequence);

#pragma warning disable CA5350 // mysql_native_password is defined with SHA-1.
            var stage1 = SHA1.HashData(Encoding.UTF8.GetBytes(Password));
            var mask = SHA1.HashData([.. switchNonce, .. SHA1.HashData(stage1)]);
#pragma warning restore CA5350
            Assert.Equal(stage1.Select((b, i) => (byte)(b ^ mask[i])).ToArray(), response);
            await c.WritePacketAsync(4, FakeMySqlServer.Ok);
            await c.ReadPacketAsync();
        });

        await using (var connection = new MySqlConnection(ConnectionString(server.Port)))
        {
            await connection.OpenAsync();
        }

        await server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AccessDeniedSurfacesTheServerErrorWithoutThePassword()
    {
        var nonce = RandomNumberGenerator.GetBytes(20);
        await using var server = new FakeMySqlServer(async c =>
        {
            await c.WritePacketAsync(0, FakeMySqlServer.Handshake(nonce, "mysql_native_password", FakeMySqlServer.BasicCapabilities));
            await c.ReadPacketAsync();
            await c.WritePacketAsync(2, [0xFF, 0x15, 0x04, (byte)'#', .. Encoding.ASCII.GetBytes("28000Access denied for user 'app'@'localhost' (using password: YES)")]);
        });

        await using var connection = new MySqlConnection(ConnectionString(server.Port));
        var ex = await Assert.ThrowsAsync<MySqlException>(() => connection.OpenAsync());
        Assert.Equal(MySqlErrorCode.AccessDenied, ex.ErrorCode);
        Assert.Equal("28000", ex.SqlState);
        Assert.False(ex.IsTransient);
        Assert.DoesNotContain(Password, ex.ToString(), StringComparison.Ordinal);
    }
}

using MySqlConnector;

namespace ShardKit.IntegrationTests.Driver;

[Collection("Server")]
public sealed class TlsTests(ServerFixture fixture)
{
    private string CaPath => fixture.Topology.CaCertificatePath ?? throw new InvalidOperationException("The test topology runs without TLS.");

    private async Task<string> CipherAsync(string extra)
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture, "Pooling=false;" + extra));
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SHOW SESSION STATUS LIKE 'Ssl_cipher'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return reader.GetString(1);
    }

    [Fact]
    public async Task SslModeRequiredEncryptsTheConnection() =>
        Assert.NotEqual("", await CipherAsync("SslMode=Required"));

    [Fact]
    public async Task VerifyCaAcceptsAServerCertificateSignedByTheConfiguredCa() =>
        Assert.NotEqual("", await CipherAsync($"SslMode=VerifyCA;SslCa={CaPath}"));

    [Fact]
    public async Task VerifyFullAcceptsTheServerCertificateForItsHostName() =>
        Assert.NotEqual("", await CipherAsync($"SslMode=VerifyFull;SslCa={CaPath}"));

    [Fact]
    public async Task VerifyCaRejectsACertificateThatDoesNotChainToATrustedCa()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture, "Pooling=false;SslMode=VerifyCA;SslCa="));
        var ex = await Assert.ThrowsAsync<MySqlException>(() => connection.OpenAsync());
        Assert.Equal(MySqlErrorCode.UnableToConnectToHost, ex.ErrorCode);
        Assert.Contains("SSL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SslModeNoneStaysUnencrypted()
    {
        await using var connection = new MySqlConnection(await DriverDatabase.ConnectionStringAsync(fixture, "Pooling=false;SslMode=None"));
        await connection.OpenAsync();
        await using var command = new MySqlCommand("SHOW SESSION STATUS LIKE 'Ssl_cipher'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("", reader.GetString(1));
    }
}

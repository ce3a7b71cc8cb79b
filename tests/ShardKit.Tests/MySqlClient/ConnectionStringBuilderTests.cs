using ShardKit.MySqlClient;

namespace ShardKit.Tests.MySqlClient;

public sealed class ConnectionStringBuilderTests
{
    [Theory]
    [InlineData("Server=db1", "db1")]
    [InlineData("Host=db1", "db1")]
    [InlineData("Data Source=db1", "db1")]
    [InlineData("DATASOURCE=db1", "db1")]
    public void ServerSynonymsAllSetTheServer(string connectionString, string expected) =>
        Assert.Equal(expected, new MySqlConnectionStringBuilder(connectionString).Server);

    [Theory]
    [InlineData("User ID=app")]
    [InlineData("UserID=app")]
    [InlineData("Username=app")]
    [InlineData("Uid=app")]
    [InlineData("User=app")]
    [InlineData("user id=app")]
    public void UserSynonymsAllSetTheUser(string connectionString) =>
        Assert.Equal("app", new MySqlConnectionStringBuilder(connectionString).UserID);

    [Fact]
    public void ParsesTypedOptionsAndTheirSynonyms()
    {
        var builder = new MySqlConnectionStringBuilder(
            "Server=h;Port=3307;Pwd=pw;Initial Catalog=orders;Pooling=no;Min Pool Size=2;Max Pool Size=7;Connect Timeout=3;" +
            "Command Timeout=9;Connection Lifetime=60;Connection Idle Timeout=5;Ssl Mode=VerifyCA;SslCa=/tmp/ca.pem;" +
            "AllowUserVariables=true;Allow Public Key Retrieval=yes;Application Name=orders-api;Connection Reset=false");
        Assert.Equal(3307u, builder.Port);
        Assert.Equal("pw", builder.Password);
        Assert.Equal("orders", builder.Database);
        Assert.False(builder.Pooling);
        Assert.Equal(2u, builder.MinimumPoolSize);
        Assert.Equal(7u, builder.MaximumPoolSize);
        Assert.Equal(3u, builder.ConnectionTimeout);
        Assert.Equal(9u, builder.DefaultCommandTimeout);
        Assert.Equal(60u, builder.ConnectionLifeTime);
        Assert.Equal(5u, builder.ConnectionIdleTimeout);
        Assert.Equal(MySqlSslMode.VerifyCA, builder.SslMode);
        Assert.Equal("/tmp/ca.pem", builder.SslCa);
        Assert.True(builder.AllowUserVariables);
        Assert.True(builder.AllowPublicKeyRetrieval);
        Assert.Equal("orders-api", builder.ApplicationName);
        Assert.False(builder.ConnectionReset);
    }

    [Fact]
    public void DefaultsMatchMySqlConnector()
    {
        var builder = new MySqlConnectionStringBuilder();
        Assert.Equal(3306u, builder.Port);
        Assert.True(builder.Pooling);
        Assert.Equal(100u, builder.MaximumPoolSize);
        Assert.Equal(15u, builder.ConnectionTimeout);
        Assert.Equal(30u, builder.DefaultCommandTimeout);
        Assert.Equal(MySqlSslMode.Preferred, builder.SslMode);
        Assert.True(builder.ConnectionReset);
    }

    [Fact]
    public void AnUnknownKeywordIsAnArgumentExceptionNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MySqlConnectionStringBuilder("Server=h;Colour=blue"));
        Assert.Contains("'colour'", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Throws<ArgumentException>(() => new MySqlConnection("Server=h;Sever=typo"));
    }

    [Theory]
    [InlineData("Port=abc", "Port")]
    [InlineData("Port=-1", "Port")]
    [InlineData("Pooling=maybe", "Pooling")]
    [InlineData("SslMode=Sometimes", "SslMode")]
    [InlineData("SslMode=7", "SslMode")]
    [InlineData("Maximum Pool Size=1.5", "Maximum Pool Size")]
    public void BadValuesAreArgumentExceptionsNamingTheOption(string connectionString, string option)
    {
        var ex = Assert.Throws<ArgumentException>(() => new MySqlConnectionStringBuilder(connectionString));
        Assert.Contains($"'{option}'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Server=h;Minimum Pool Size=5;Maximum Pool Size=2", "Minimum Pool Size")]
    [InlineData("Server=h;Maximum Pool Size=0", "Maximum Pool Size")]
    [InlineData("Server=h;Port=70000", "Port")]
    [InlineData("Server=a,b", "Server")]
    public void InconsistentSettingsAreRejectedWhenUsed(string connectionString, string option)
    {
        var ex = Assert.Throws<ArgumentException>(() => new MySqlConnection(connectionString));
        Assert.Contains($"'{option}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToStringLeavesThePasswordOutUnlessPersistSecurityInfo()
    {
        var builder = new MySqlConnectionStringBuilder("Server=h;User ID=app;Password=hunter2");
        Assert.DoesNotContain("hunter2", builder.ToString(), StringComparison.Ordinal);
        Assert.Contains("User ID=app", builder.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", builder.GetConnectionString(includePassword: false), StringComparison.Ordinal);

        // The builder's ConnectionString is the configuration itself, so it keeps the password for round trips.
        Assert.Equal("hunter2", new MySqlConnectionStringBuilder(builder.ConnectionString).Password);

        builder.PersistSecurityInfo = true;
        Assert.Contains("hunter2", builder.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void SynonymsNormalizeToTheCanonicalKeyword()
    {
        var builder = new MySqlConnectionStringBuilder("host=h;uid=app;pwd=x");
        Assert.Equal("Server=h;User ID=app;Password=x", builder.ConnectionString);
        Assert.True(builder.ContainsKey("Data Source"));
        Assert.True(builder.Remove("PWD"));
        Assert.False(builder.ContainsKey("Password"));
    }

    [Fact]
    public void ADataSourceConnectionStringHasNoPassword()
    {
        using var dataSource = new MySqlDataSourceBuilder("Server=h;User ID=app;Password=hunter2").Build();
        Assert.DoesNotContain("hunter2", dataSource.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOpenedConnectionNoLongerShowsItsPasswordEvenAfterClosing()
    {
        await using var server = new FakeMySqlServer(async c =>
        {
            await c.WritePacketAsync(0, FakeMySqlServer.Handshake(new byte[20], "mysql_native_password", FakeMySqlServer.BasicCapabilities));
            await c.ReadPacketAsync();
            await c.WritePacketAsync(2, FakeMySqlServer.Ok);
            await c.ReadPacketAsync();
        });

        await using var connection = new MySqlConnection($"Server=127.0.0.1;Port={server.Port};User ID=app;Password=hunter2;Pooling=false;SslMode=None;Connection Timeout=60");
        Assert.Contains("hunter2", connection.ConnectionString, StringComparison.Ordinal);
        await connection.OpenAsync();
        Assert.DoesNotContain("hunter2", connection.ConnectionString, StringComparison.Ordinal);
        await connection.CloseAsync();
        Assert.DoesNotContain("hunter2", connection.ConnectionString, StringComparison.Ordinal);
        Assert.Contains("User ID=app", connection.ConnectionString, StringComparison.Ordinal);
    }
}

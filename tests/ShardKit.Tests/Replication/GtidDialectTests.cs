using ShardKit.Replication;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Replication;

public sealed class GtidDialectTests
{
    private const string Uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

    [Theory]
    [InlineData("0-1-42", "MariaDb")]
    [InlineData("0-1-7,1-2-3", "MariaDb")]
    [InlineData(Uuid + ":23", "MySql")]
    [InlineData(Uuid + ":1-5:7", "MySql")]
    [InlineData("3E11FA47-71CA-11E1-9E33-C80AA9429562:23," + Uuid + ":9", "MySql")]
    [InlineData(Uuid + ":orders_1:5", "MySql")]
    public void RecognisesEachFlavour(string gtid, string flavor) => Assert.Equal(flavor, GtidDialect.FlavorOf(gtid)?.ToString());

    [Theory]
    [InlineData("")]
    [InlineData("0-1")]
    [InlineData("0-1-x")]
    [InlineData(Uuid)]
    [InlineData(Uuid + ":")]
    [InlineData(Uuid + ":5:tag")]
    [InlineData(Uuid + ":Tag:5")]
    [InlineData("3e11fa47-71ca-11e1-9e33-c80aa942956:23")]
    [InlineData(Uuid + ":23', 0) OR SLEEP(10) -- ")]
    [InlineData(Uuid + ": 23")]
    public void RejectsAnythingElse(string gtid) => Assert.Null(GtidDialect.FlavorOf(gtid));

    [Fact]
    public void WaitsWithEachFlavoursFunction()
    {
        Assert.Equal("SELECT MASTER_GTID_WAIT('0-1-42', 0.05)", GtidDialect.WaitStatement("0-1-42", TimeSpan.FromMilliseconds(50)));
        Assert.Equal(
            "SELECT WAIT_FOR_EXECUTED_GTID_SET('" + Uuid + ":1-5:7', 0.25)",
            GtidDialect.WaitStatement(Uuid + ":1-5:7", TimeSpan.FromMilliseconds(250)));
        Assert.Throws<ArgumentException>(() => GtidDialect.WaitStatement("x", TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData(0L, true)]
    [InlineData(1L, false)]
    [InlineData(-1L, false)]
    [InlineData(null, false)]
    public void OnlyZeroMeansApplied(long? result, bool applied) => Assert.Equal(applied, GtidDialect.IsApplied(result));

    [Theory]
    [InlineData("5.5.5-10.11.6-MariaDB-0+deb12u1", "MariaDb")]
    [InlineData("10.11.0-fake", "MariaDb")]
    [InlineData("8.0.36", "MySql")]
    [InlineData("8.4.2-commercial", "MySql")]
    [InlineData("5.7.44-log", "MySql")]
    [InlineData("", null)]
    [InlineData("fake", null)]
    public void TakesTheServersFlavourFromItsHandshakeVersion(string version, string? flavor) => Assert.Equal(flavor, GtidDialect.ServerFlavor(version)?.ToString());

    [Theory]
    [InlineData("10.11.6-MariaDB-log", "SELECT @@GLOBAL.gtid_binlog_pos")]
    [InlineData("8.0.36", "SELECT @@GLOBAL.gtid_executed")]
    public void ReadsAPrimarysWholePositionInItsFlavour(string version, string sql) => Assert.Equal(sql, GtidDialect.CurrentPositionQuery(version));

    [Fact]
    public void AMySqlTokenTravelsAsText()
    {
        var token = CausalToken.Parse(Uuid + ":23@c1");

        Assert.Equal(Uuid + ":23", token.Gtid);
        Assert.Equal("c1", token.Cluster);
        Assert.Equal(Uuid + ":23@c1", token.ToString());
    }

    [Fact]
    public async Task ATokenOfTheOtherFlavourIsNeverSentToTheReplica()
    {
        var provider = new FakeProviderFactory(new FakeServer());
        await using var shards = new ShardKitDataSourceBuilder(TestTopologies.DevUp(clusters: 1)).UseProvider(provider).Build();

        // The fake server reports a MariaDB version: a MySQL GTID cannot be waited for there.
        await using var read = await shards.OpenUserShardAsync(1, new ReadOptions { CausalToken = new CausalToken("c0", Uuid + ":23") });

        Assert.False(read.IsReplica);
        Assert.DoesNotContain(provider.Server.Executed, e => e.Sql.Contains("GTID", StringComparison.Ordinal));
    }
}

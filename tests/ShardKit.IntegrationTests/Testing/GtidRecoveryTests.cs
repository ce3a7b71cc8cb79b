using ShardKit.Testing.Internal;

namespace ShardKit.IntegrationTests.Testing;

/// <summary>The rule by which a restarted replica's slave position is moved up to what its own binlog shows it applied.</summary>
public sealed class GtidRecoveryTests
{
    [Theory]
    // A SIGKILL after the replicated CREATE TABLE 0-1-7 was binlogged but before its GTID was recorded.
    [InlineData("0-1-6", "0-1-7", "0-1-7")]
    [InlineData("", "0-1-7", "0-1-7")]
    // Only the lagging domain moves; the others are kept as they are.
    [InlineData("0-1-6,100-1000-3", "0-1-7", "0-1-7,100-1000-3")]
    [InlineData("1-11-4,0-1-6", "0-1-7,1-11-4", "0-1-7,1-11-4")]
    public void ASlavePositionBehindTheReplicatedBinlogMovesUpToIt(string slave, string binlog, string expected)
    {
        Assert.Equal(expected, Gtid.RecoveredSlavePosition(slave, binlog, ownServerId: 2));
    }

    [Theory]
    [InlineData("0-1-7", "0-1-7")]      // a clean stop, or a kill between transactions
    [InlineData("", "")]                // nothing replicated yet
    [InlineData("0-1-7", "0-1-5")]      // never behind: the slave position is not moved back
    [InlineData("0-1-7", "0-2-8")]      // written on the replica itself, not replicated: not a sign of anything applied
    public void OtherwiseTheSlavePositionIsKept(string slave, string binlog)
    {
        Assert.Null(Gtid.RecoveredSlavePosition(slave, binlog, ownServerId: 2));
    }
}

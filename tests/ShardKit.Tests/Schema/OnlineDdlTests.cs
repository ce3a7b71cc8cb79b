using ShardKit.Schema;

namespace ShardKit.Tests.Schema;

public sealed class OnlineDdlTests
{
    [Theory]
    [InlineData("ALTER TABLE `sk_user_001`.`orders` ADD COLUMN note VARCHAR(64) NULL", "AlterTable")]
    [InlineData("  alter online table t add column x int", "AlterTable")]
    [InlineData("-- add a column\nALTER TABLE t ADD COLUMN x INT", "AlterTable")]
    [InlineData("/* why */ ALTER IGNORE TABLE t ADD UNIQUE KEY (x)", "AlterTable")]
    [InlineData("CREATE INDEX ix_note ON t (note)", "Index")]
    [InlineData("create unique index ix ON t (a, b)", "Index")]
    [InlineData("DROP INDEX ix_note ON t", "Index")]
    [InlineData("CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY)", "Other")]
    [InlineData("CREATE DATABASE IF NOT EXISTS `sk_user_001`", "Other")]
    [InlineData("DROP TABLE t", "Other")]
    [InlineData("ALTER DATABASE d CHARACTER SET utf8mb4", "Other")]
    [InlineData("DO SLEEP(1)", "Other")]
    public void ClassifiesTableChanges(string statement, string kind) => Assert.Equal(Enum.Parse<DdlKind>(kind), OnlineDdl.Classify(statement));

    [Fact]
    public void AppendsTheAlgorithmClauseToAnAlter()
    {
        const string Alter = "ALTER TABLE t ADD COLUMN note VARCHAR(64) NULL";

        Assert.Equal(Alter + ", ALGORITHM=INSTANT", OnlineDdl.With(Alter, DdlAlgorithm.Instant));
        Assert.Equal(Alter + ", ALGORITHM=INPLACE, LOCK=NONE", OnlineDdl.With(Alter + ";", DdlAlgorithm.InplaceNoLock));
        Assert.Equal(Alter, OnlineDdl.With(Alter, DdlAlgorithm.Blocking));
        Assert.Equal(Alter, OnlineDdl.With(Alter, DdlAlgorithm.AsWritten));
    }

    [Fact]
    public void AppendsTheAlgorithmOptionsToAnIndexStatementWithoutCommas()
    {
        Assert.Equal("CREATE INDEX ix ON t (a) ALGORITHM=INSTANT", OnlineDdl.With("CREATE INDEX ix ON t (a)", DdlAlgorithm.Instant));
        Assert.Equal("DROP INDEX ix ON t ALGORITHM=INPLACE LOCK=NONE", OnlineDdl.With("DROP INDEX ix ON t", DdlAlgorithm.InplaceNoLock));
    }

    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN x INT, ALGORITHM=COPY")]
    [InlineData("ALTER TABLE t ADD COLUMN x INT, LOCK=SHARED")]
    [InlineData("alter table t add column x int, algorithm = inplace, lock = none")]
    [InlineData("CREATE INDEX ix ON t (a) LOCK NONE")]
    public void HonoursAStatementThatNamesItsOwnAlgorithmOrLock(string statement)
    {
        Assert.True(OnlineDdl.NamesAlgorithmOrLock(statement));
        Assert.Equal([DdlAlgorithm.AsWritten], OnlineDdl.Ladder(statement));
    }

    [Theory]
    [InlineData("ALTER TABLE t ADD COLUMN note VARCHAR(64) DEFAULT 'ALGORITHM=COPY'")]
    [InlineData("ALTER TABLE t ADD COLUMN `lock` INT NULL")]
    [InlineData("ALTER TABLE t ADD COLUMN x INT /* LOCK=NONE later */")]
    public void IgnoresAlgorithmWordsInStringsNamesAndComments(string statement)
    {
        Assert.False(OnlineDdl.NamesAlgorithmOrLock(statement));
        Assert.Equal([DdlAlgorithm.Instant, DdlAlgorithm.InplaceNoLock], OnlineDdl.Ladder(statement));
    }

    [Fact]
    public void RunsEveryOtherStatementAsWritten() =>
        Assert.Equal([DdlAlgorithm.AsWritten], OnlineDdl.Ladder("CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY)"));

    [Fact]
    public void DescribesALongStatementByItsFirstLineShortened()
    {
        var description = OnlineDdl.Describe("-- comment\nALTER TABLE t ADD COLUMN " + new string('x', 100) + " INT\nAFTER y");

        Assert.StartsWith("ALTER TABLE t ADD COLUMN xxx", description, StringComparison.Ordinal);
        Assert.EndsWith("...", description, StringComparison.Ordinal);
        Assert.Equal(80, description.Length);
    }
}

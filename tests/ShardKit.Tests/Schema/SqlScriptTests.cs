using ShardKit.Schema;

namespace ShardKit.Tests.Schema;

public sealed class SqlScriptTests
{
    [Fact]
    public void SplitsOnSemicolonsOutsideQuotesAndComments()
    {
        const string script = """
            -- a comment; not a separator
            CREATE TABLE {orders} (a INT COMMENT 'x;y', `b;c` INT);
            # another; comment
            /* block; comment */ ALTER TABLE {orders} ADD COLUMN d VARCHAR(3) DEFAULT "q;\"r";
            INSERT INTO t VALUES ('it''s; fine')
            """;

        var statements = SqlScript.Split(script);

        Assert.Equal(3, statements.Count);
        Assert.EndsWith("`b;c` INT)", statements[0], StringComparison.Ordinal);
        Assert.EndsWith("DEFAULT \"q;\\\"r\"", statements[1], StringComparison.Ordinal);
        Assert.Equal("INSERT INTO t VALUES ('it''s; fine')", statements[2]);
    }

    [Fact]
    public void DropsEmptyAndCommentOnlyStatements()
    {
        Assert.Empty(SqlScript.Split(" ;\n-- nothing here\n; # nor here\n"));
    }

    [Fact]
    public void TheBuiltInUserScriptCreatesTheOrderTablesTheOutboxTombstonesAndKeyTables()
    {
        var statements = SqlScript.Split(SchemaApplier.GetBuiltInScript(ShardDimension.User));

        Assert.Equal(7, statements.Count);
        Assert.Equal(7, statements.Distinct().Count());
        Assert.StartsWith("CREATE DATABASE IF NOT EXISTS {schema}", statements[0], StringComparison.Ordinal);
        Assert.StartsWith("CREATE TABLE IF NOT EXISTS {orders}", statements[1], StringComparison.Ordinal);
        Assert.Contains("version      BIGINT        NOT NULL DEFAULT 1", statements[1], StringComparison.Ordinal);
        Assert.Contains("KEY ix_merchant (merchant_id, created_at)", statements[1], StringComparison.Ordinal);
        Assert.StartsWith("CREATE TABLE IF NOT EXISTS {order_items}", statements[2], StringComparison.Ordinal);
        Assert.Contains("PRIMARY KEY (order_id, line_no)", statements[2], StringComparison.Ordinal);
        Assert.StartsWith("CREATE TABLE IF NOT EXISTS {schema}.`shardkit_tombstones`", statements[3], StringComparison.Ordinal);
        Assert.StartsWith("CREATE TABLE IF NOT EXISTS {schema}.`shardkit_outbox`", statements[4], StringComparison.Ordinal);
        Assert.StartsWith("CREATE TABLE IF NOT EXISTS {schema}.`shardkit_key_mappings`", statements[5], StringComparison.Ordinal);
        Assert.Contains("PRIMARY KEY (kind, key_value)", statements[5], StringComparison.Ordinal);
        Assert.StartsWith("CREATE TABLE IF NOT EXISTS {schema}.`shardkit_order_keys`", statements[6], StringComparison.Ordinal);
        Assert.DoesNotContain(statements, s => s.StartsWith("ALTER TABLE", StringComparison.Ordinal));
    }

    [Fact]
    public void TheBuiltInMerchantScriptCreatesTheOrderTablesAndTheTombstonesOnly()
    {
        var statements = SqlScript.Split(SchemaApplier.GetBuiltInScript(ShardDimension.Merchant));

        Assert.Equal(4, statements.Count);
        Assert.Equal(SqlScript.Split(SchemaApplier.GetBuiltInScript(ShardDimension.User))[..4], statements);
        Assert.Single(statements, s => s.Contains("shardkit_", StringComparison.Ordinal));
        Assert.DoesNotContain(statements, s => s.Contains("deleted TINYINT", StringComparison.Ordinal));
    }

    [Fact]
    public void AModelThatDeclaresItsTablesGetsShardKitsOwnTablesOnly()
    {
        var user = SqlScript.Split(SchemaApplier.GetBuiltInScript(ShardDimension.User, shardKitTablesOnly: true));
        var merchant = SqlScript.Split(SchemaApplier.GetBuiltInScript(ShardDimension.Merchant, shardKitTablesOnly: true));

        Assert.StartsWith("CREATE DATABASE IF NOT EXISTS {schema}", user[0], StringComparison.Ordinal);
        Assert.Equal(5, user.Count);
        Assert.All(user.Skip(1), s => Assert.Contains("{schema}.`shardkit_", s, StringComparison.Ordinal));
        Assert.Equal(user[..2], merchant);
        Assert.DoesNotContain(user.Concat(merchant), s => s.Contains("{orders}", StringComparison.Ordinal) || s.Contains("{order_items}", StringComparison.Ordinal));
    }

    [Fact]
    public void TheChecksumIgnoresLineEndingsButNotContent()
    {
        Assert.Equal(SqlScript.Checksum("A;\nB;"), SqlScript.Checksum("A;\r\nB;\r\n"));
        Assert.NotEqual(SqlScript.Checksum("A;"), SqlScript.Checksum("B;"));
        Assert.Matches("^[0-9a-f]{64}$", SqlScript.Checksum("A;"));
    }
}

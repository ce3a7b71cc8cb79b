using System.Text;
using ShardKit.MySqlClient;
using ShardKit.MySqlClient.Protocol;
using ShardKit.MySqlClient.Query;

namespace ShardKit.Tests.MySqlClient;

public sealed class CommandTextBinderTests
{
    private static string Bind(string sql, bool noBackslashEscapes = false, bool allowUserVariables = false, params (string Name, object? Value)[] parameters)
    {
        var collection = new MySqlCommand().Parameters;
        foreach (var (name, value) in parameters)
        {
            collection.AddWithValue(name, value);
        }

        using var builder = new PayloadBuilder();
        CommandTextBinder.Bind(builder, sql, collection, noBackslashEscapes, allowUserVariables);
        return Encoding.UTF8.GetString(builder.Payload.Span);
    }

    [Fact]
    public void ReplacesAtAndQuestionMarkNamedPlaceholders() =>
        Assert.Equal("SELECT 5, 'x'", Bind("SELECT @id, ?name", parameters: [("id", 5), ("@name", "x")]));

    [Fact]
    public void BindsPositionalQuestionMarksInOrder() =>
        Assert.Equal("INSERT INTO t VALUES (1, 'a')", Bind("INSERT INTO t VALUES (?, ?)", parameters: [("", 1), ("", "a")]));

    [Theory]
    [InlineData("SELECT '@id'")]
    [InlineData("SELECT \"@id\"")]
    [InlineData("SELECT `@id`")]
    [InlineData("SELECT 1 -- @id\n")]
    [InlineData("SELECT 1 # @id")]
    [InlineData("SELECT 1 /* @id ? */")]
    [InlineData("SELECT 'it''s @id'")]
    [InlineData("SELECT @@session.sql_mode")]
    [InlineData("CREATE USER app@localhost")]
    public void LeavesPlaceholdersInsideLiteralsIdentifiersAndCommentsAlone(string sql) =>
        Assert.Equal(sql, Bind(sql, parameters: [("id", 1)]));

    [Theory]
    [InlineData("SELECT 10-@a, 12/@b, -@a, @a-@b", "SELECT 10-3, 12/4, -3, 3-4")]
    [InlineData("SELECT @a -@b -- @a\n, /@b /* @a */ ?b", "SELECT 3 -4 -- @a\n, /4 /* @a */ 4")]
    public void AMinusOrSlashThatStartsNoCommentLeavesTheNextPlaceholderBound(string sql, string expected) =>
        Assert.Equal(expected, Bind(sql, parameters: [("a", 3), ("b", 4)]));

    [Fact]
    public void PlaceholdersAfterLongPlainTextAreAllBound()
    {
        var filler = new string('x', 300);
        var sql = $"SELECT '{filler}@a', {filler} + @a + {filler}, {filler}?b, `{filler}?b`";
        Assert.Equal($"SELECT '{filler}@a', {filler} + 1 + {filler}, {filler}2, `{filler}?b`", Bind(sql, parameters: [("a", 1), ("b", 2)]));
    }

    [Fact]
    public void ABackslashEscapedQuoteDoesNotEndTheLiteral() =>
        Assert.Equal(@"SELECT 'a\' @id', 1", Bind(@"SELECT 'a\' @id', @id", parameters: [("id", 1)]));

    [Fact]
    public void UnderNoBackslashEscapesABackslashEndsNothingAndTheQuoteCloses() =>
        Assert.Equal(@"SELECT 'a\', 1", Bind(@"SELECT 'a\', @id", noBackslashEscapes: true, parameters: [("id", 1)]));

    [Fact]
    public void DoubleDashWithoutASpaceIsSubtractionNotAComment() =>
        Assert.Equal("SELECT 5--3", Bind("SELECT @a--3", parameters: [("a", 5)]));

    [Fact]
    public void AnUndefinedParameterIsAnErrorUnlessUserVariablesAreAllowed()
    {
        var ex = Assert.Throws<ArgumentException>(() => Bind("SET @total = 1"));
        Assert.Contains("@total", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Allow User Variables", ex.Message, StringComparison.Ordinal);
        Assert.Equal("SET @total = 1", Bind("SET @total = 1", allowUserVariables: true));
    }

    [Fact]
    public void TooFewPositionalParametersIsAnError() =>
        Assert.Throws<ArgumentException>(() => Bind("SELECT ?, ?", parameters: [("", 1)]));

    [Theory]
    [InlineData("x' OR '1'='1", "'x'' OR ''1''=''1'")]
    [InlineData("\\", "'\\\\'")]
    [InlineData("\\'; DROP TABLE t; --", "'\\\\''; DROP TABLE t; --'")]
    [InlineData("a\0b", "'a\\0b'")]
    public void StringValuesCannotEscapeTheirLiteral(string value, string expected) =>
        Assert.Equal("SELECT " + expected, Bind("SELECT @v", parameters: [("v", value)]));

    [Theory]
    [InlineData("x' OR '1'='1", "'x'' OR ''1''=''1'")]
    [InlineData("\\", "'\\'")]
    [InlineData("\\'; DROP TABLE t; --", "'\\''; DROP TABLE t; --'")]
    public void UnderNoBackslashEscapesOnlyQuotesAreDoubled(string value, string expected) =>
        Assert.Equal("SELECT " + expected, Bind("SELECT @v", noBackslashEscapes: true, parameters: [("v", value)]));

    [Fact]
    public void AValueThatLooksLikeAPlaceholderIsNotBoundAgain() =>
        Assert.Equal("SELECT '@b', 2", Bind("SELECT @a, @b", parameters: [("a", "@b"), ("b", 2)]));

    [Fact]
    public void ParameterNamesMatchCaseInsensitively() =>
        Assert.Equal("SELECT 3", Bind("SELECT @UserId", parameters: [("userid", 3)]));
}

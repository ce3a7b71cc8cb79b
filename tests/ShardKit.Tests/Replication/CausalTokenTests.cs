namespace ShardKit.Tests.Replication;

public sealed class CausalTokenTests
{
    [Theory]
    [InlineData("c0", "0-1-42", "0-1-42@c0")]
    [InlineData("orders-eu", "0-1-42,1-2-18446744073709551615", "0-1-42,1-2-18446744073709551615@orders-eu")]
    [InlineData("a@b", "3-100-7", "3-100-7@a@b")]
    public void RoundTripsThroughItsCompactText(string cluster, string gtid, string text)
    {
        var token = new CausalToken(cluster, gtid);

        Assert.Equal(text, token.ToString());
        var parsed = CausalToken.Parse(token.ToString());
        Assert.Equal(cluster, parsed.Cluster);
        Assert.Equal(gtid, parsed.Gtid);
        Assert.Equal(token, parsed);
        Assert.Equal(token.GetHashCode(), parsed.GetHashCode());
    }

    [Theory]
    [InlineData("", "expected 'gtid@cluster'")]
    [InlineData("0-1-42", "expected 'gtid@cluster'")]
    [InlineData("0-1-42@", "cluster name after '@' is empty")]
    [InlineData("0-1-42@  ", "cluster name after '@' is empty")]
    [InlineData("@c0", "is not a GTID")]
    [InlineData("0-1@c0", "is not a GTID")]
    [InlineData("0-1-42-5@c0", "is not a GTID")]
    [InlineData("0-1-x@c0", "is not a GTID")]
    [InlineData("0-1-42,@c0", "is not a GTID")]
    [InlineData("0-1-4'2@c0", "is not a GTID")]
    [InlineData("3E11FA47-71CA-11E1-9E33-C80AA9429562@c0", "is not a GTID")]
    [InlineData("0-1-123456789012345678901@c0", "is not a GTID")]
    public void ParseRejectsMalformedTextSayingWhatIsWrong(string text, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => CausalToken.Parse(text));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"'{text}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseRejectsNull() =>
        Assert.Throws<ArgumentNullException>(() => CausalToken.Parse(null!));

    [Theory]
    [InlineData("", "0-1-42")]
    [InlineData("c0", "")]
    [InlineData("c0", "0-1-42'; DROP TABLE orders; --")]
    public void TheConstructorRejectsAnEmptyClusterOrAMalformedGtid(string cluster, string gtid) =>
        Assert.ThrowsAny<ArgumentException>(() => new CausalToken(cluster, gtid));

    [Fact]
    public void ClusterNamesCompareCaseInsensitivelyAndGtidsExactly()
    {
        Assert.Equal(new CausalToken("C0", "0-1-42"), new CausalToken("c0", "0-1-42"));
        Assert.NotEqual(new CausalToken("c0", "0-1-42"), new CausalToken("c0", "0-1-43"));
    }
}

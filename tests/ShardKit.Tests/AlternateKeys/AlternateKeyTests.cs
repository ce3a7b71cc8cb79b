namespace ShardKit.Tests.AlternateKeys;

public sealed class AlternateKeyTests
{
    [Theory]
    [InlineData("", "kind must be 1 to 32 characters; got 0")]
    [InlineData("Trade-No", "contains 'T'")]
    [InlineData("trade no", "contains ' '")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "kind must be 1 to 32 characters; got 33")]
    public void RejectsAKindOutsideLowercaseLettersDigitsAndDashes(string kind, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new AlternateKey(kind, "T-1"));

        Assert.Equal("kind", error.ParamName);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "must be 1 to 191 characters; got 0")]
    [InlineData(" T-1", "must not start or end with white space")]
    [InlineData("T-1\t", "must not start or end with white space")]
    [InlineData("T\n1", "control characters")]
    public void RejectsAValueThatCannotBeStoredAndComparedExactly(string value, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new AlternateKey("trade-no", value));

        Assert.Equal("value", error.ParamName);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAValueWithAnUnpairedSurrogate()
    {
        // Built at run time: attribute data would turn lone surrogates into U+FFFD.
        string[] values = ["T" + (char)0xD800 + "-1", "T-1" + (char)0xDC00 + "x", "T-1" + (char)0xD83D];

        Assert.All(values, value => Assert.Contains(
            "unpaired surrogate", Assert.Throws<ArgumentException>(() => new AlternateKey("trade-no", value)).Message, StringComparison.Ordinal));
    }

    [Fact]
    public void AcceptsTheLongestValueAndSurrogatePairs()
    {
        var longest = new AlternateKey("phone", new string('9', AlternateKey.MaxValueLength));
        var emoji = new AlternateKey("nick", "a\U0001F600b");

        Assert.Equal(191, longest.Value.Length);
        Assert.Equal("nick:a\U0001F600b", emoji.ToString());
        Assert.Throws<ArgumentException>(() => new AlternateKey("phone", new string('9', AlternateKey.MaxValueLength + 1)));
    }

    [Fact]
    public void ComparesKindAndValueOrdinally()
    {
        Assert.Equal(new AlternateKey("trade-no", "T-1"), new AlternateKey("trade-no", "T-1"));
        Assert.NotEqual(new AlternateKey("trade-no", "T-1"), new AlternateKey("trade-no", "t-1"));
        Assert.NotEqual(new AlternateKey("trade-no", "T-1"), new AlternateKey("payment-no", "T-1"));
        Assert.Equal(new AlternateKey("trade-no", "T-1").GetHashCode(), new AlternateKey("trade-no", "T-1").GetHashCode());
    }

    [Fact]
    public void ADefaultKeySaysHowToCreateOne()
    {
        var error = Assert.Throws<InvalidOperationException>(() => default(AlternateKey).Kind);

        Assert.Contains("new AlternateKey(kind, value)", error.Message, StringComparison.Ordinal);
        Assert.Equal("(no key)", default(AlternateKey).ToString());
    }

    [Fact]
    public void TheShardOfAKeyIsFrozen()
    {
        // Golden values (computed independently from the definition: FNV-1a 64 over kind, 0x00, UTF-8 value; + salt;
        // splitmix64 finalizer; multiply-high). Changing them moves every stored mapping to another shard.
        Assert.Equal(113, new AlternateKey("legacy-order-id", "1").GetShard(120));
        Assert.Equal(11, new AlternateKey("trade-no", "T2026-0001").GetShard(120));
        Assert.Equal(6, new AlternateKey("phone", "+4915112345678").GetShard(120));
        Assert.Equal(35, new AlternateKey("payment-no", "P-\u00e9\U0001F600").GetShard(120));
    }

    [Fact]
    public void KindAndValueAreSeparatedSoTheyCannotBeShiftedIntoEachOther()
    {
        var shards = Enumerable.Range(0, 64).Select(i => (new AlternateKey("ab", $"c{i}").GetShard(128), new AlternateKey("abc", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetShard(128)));

        Assert.Contains(shards, pair => pair.Item1 != pair.Item2);
    }

    [Fact]
    public void KeysSpreadEvenlyOverTheShards()
    {
        var counts = new int[120];
        for (var i = 0; i < 120_000; i++)
        {
            counts[new AlternateKey("legacy-order-id", (1_000_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).GetShard(120)]++;
        }

        // 1,000 expected per shard; a uniform hash stays well within ±15 %.
        Assert.InRange(counts.Min(), 850, 1000);
        Assert.InRange(counts.Max(), 1000, 1150);
    }

    [Fact]
    public void GetShardRejectsAShardCountOutsideTheGeneRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlternateKey("phone", "1").GetShard(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlternateKey("phone", "1").GetShard(129));
    }

    [Fact]
    public void ATargetNeedsAPositiveUserAndANonEmptyOrder()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AlternateKeyTarget(0));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new AlternateKeyTarget(5, default(OrderId)));

        Assert.Contains("pass null", error.Message, StringComparison.Ordinal);
        var order = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1 }).Next(5, 6);
        Assert.Equal(new AlternateKeyTarget(5, order), new AlternateKeyTarget(5, order));
        Assert.NotEqual(new AlternateKeyTarget(5, order), new AlternateKeyTarget(5));
        Assert.Equal("user 5", new AlternateKeyTarget(5).ToString());
    }
}

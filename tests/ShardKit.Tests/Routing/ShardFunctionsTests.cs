namespace ShardKit.Tests.Routing;

public sealed class ShardFunctionsTests
{
    // The 0.999 quantile of the chi-square distribution with 119 degrees of freedom (120 shards).
    private const double ChiSquareCritical119 = 173.6;
    private const int SampleSize = 1_000_000;

    public static TheoryData<string> Dimensions => new() { "user", "merchant" };

    [Theory]
    [MemberData(nameof(Dimensions))]
    public void SpreadsOneMillionRandomIdsUniformlyOver120Shards(string dimension)
    {
        var random = new Random(20250101);
        var counts = new long[120];
        for (var i = 0; i < SampleSize; i++)
        {
            counts[Shard(dimension, random.NextInt64(1, long.MaxValue), 120)]++;
        }

        Assert.True(ChiSquare(counts, SampleSize) < ChiSquareCritical119, $"chi-square {ChiSquare(counts, SampleSize):F1} ≥ {ChiSquareCritical119}");
    }

    [Theory]
    [MemberData(nameof(Dimensions))]
    public void SpreadsOneMillionSequentialIdsUniformlyOver120Shards(string dimension)
    {
        var counts = new long[120];
        for (long id = 1; id <= SampleSize; id++)
        {
            counts[Shard(dimension, id, 120)]++;
        }

        Assert.True(ChiSquare(counts, SampleSize) < ChiSquareCritical119, $"chi-square {ChiSquare(counts, SampleSize):F1} ≥ {ChiSquareCritical119}");
    }

    [Fact]
    public void ChiSquareCheckDetectsModuloOfSequentialIdsWithAStride()
    {
        // Guards the statistic itself: IDs allocated with a stride of 10 (a common auto-increment setting)
        // under plain modulo hit only 12 of 120 shards, and the test above must be able to see that.
        var counts = new long[120];
        for (long i = 1; i <= SampleSize; i++)
        {
            counts[(int)(i * 10 % 120)]++;
        }

        Assert.True(ChiSquare(counts, SampleSize) > ChiSquareCritical119);
    }

    // Frozen forever: if one of these changes, every existing user or merchant moves to another shard.
    [Theory]
    [InlineData(1L, 67, 89, 72, 95, 3)]
    [InlineData(2L, 70, 89, 75, 95, 4)]
    [InlineData(3L, 13, 84, 14, 89, 0)]
    [InlineData(7L, 46, 2, 49, 2, 2)]
    [InlineData(42L, 88, 19, 94, 20, 5)]
    [InlineData(1000L, 28, 97, 30, 104, 1)]
    [InlineData(65535L, 97, 88, 103, 94, 5)]
    [InlineData(123456789L, 16, 57, 17, 61, 0)]
    [InlineData(9876543210L, 110, 66, 117, 71, 6)]
    [InlineData(4000000000000L, 111, 14, 119, 15, 6)]
    [InlineData(9223372036854775807L, 19, 113, 21, 121, 1)]
    public void MapsIdsToTheGoldenShards(long id, int user120, int merchant120, int user128, int merchant128, int user7)
    {
        Assert.Equal(user120, ShardFunctions.UserShard(id, 120));
        Assert.Equal(merchant120, ShardFunctions.MerchantShard(id, 120));
        Assert.Equal(user128, ShardFunctions.UserShard(id, 128));
        Assert.Equal(merchant128, ShardFunctions.MerchantShard(id, 128));
        Assert.Equal(user7, ShardFunctions.UserShard(id, 7));
    }

    [Fact]
    public void ReturnsAShardBelowTheCountForEveryCountFrom1To128()
    {
        var random = new Random(7);
        for (var count = 1; count <= 128; count++)
        {
            var seen = new bool[count];
            for (var i = 0; i < 20 * count; i++)
            {
                var id = random.NextInt64(1, long.MaxValue);
                var user = ShardFunctions.UserShard(id, count);
                var merchant = ShardFunctions.MerchantShard(id, count);
                Assert.InRange(user, 0, count - 1);
                Assert.InRange(merchant, 0, count - 1);
                seen[user] = true;
            }

            Assert.All(seen, Assert.True);
        }
    }

    [Fact]
    public void PlacesUsersAndMerchantsWithTheSameNumberIndependently()
    {
        var same = 0;
        for (long id = 1; id <= 120_000; id++)
        {
            if (ShardFunctions.UserShard(id, 120) == ShardFunctions.MerchantShard(id, 120))
            {
                same++;
            }
        }

        // Independent placement agrees 1 time in 120 (1,000 expected; ±5 standard deviations).
        Assert.InRange(same, 842, 1158);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(long.MinValue)]
    public void RejectsNonPositiveIds(long id)
    {
        var user = Assert.Throws<ArgumentOutOfRangeException>(() => ShardFunctions.UserShard(id, 120));
        Assert.Equal("userId", user.ParamName);
        Assert.Contains("must be positive", user.Message, StringComparison.Ordinal);
        var merchant = Assert.Throws<ArgumentOutOfRangeException>(() => ShardFunctions.MerchantShard(id, 120));
        Assert.Equal("merchantId", merchant.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-120)]
    [InlineData(129)]
    public void RejectsShardCountsOutside1To128(int shardCount)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ShardFunctions.UserShard(1, shardCount));
        Assert.Equal("shardCount", error.ParamName);
        Assert.Contains("between 1 and 128", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => ShardFunctions.MerchantShard(1, shardCount));
    }

    private static int Shard(string dimension, long id, int count) =>
        dimension == "user" ? ShardFunctions.UserShard(id, count) : ShardFunctions.MerchantShard(id, count);

    private static double ChiSquare(long[] counts, long total)
    {
        var expected = (double)total / counts.Length;
        return counts.Sum(c => (c - expected) * (c - expected) / expected);
    }
}

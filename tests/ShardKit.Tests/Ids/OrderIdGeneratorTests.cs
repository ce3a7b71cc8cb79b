using System.Collections.Concurrent;

namespace ShardKit.Tests.Ids;

public sealed class OrderIdGeneratorTests
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void IssuesIdsThatCarryTheShardGenesWorkerAndTime()
    {
        var clock = new FakeTimeProvider(s_start.AddMilliseconds(123));
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 42 }, clock);

        var id = generator.Next(userId: 1001, merchantId: 77);

        Assert.Equal(ShardFunctions.UserShard(1001, 120), id.UserShard);
        Assert.Equal(ShardFunctions.MerchantShard(77, 120), id.MerchantShard);
        Assert.Equal(42, id.WorkerId);
        Assert.Equal(0, id.Sequence);
        Assert.Equal(s_start.AddMilliseconds(120), id.Timestamp);
        Assert.Equal(id, OrderId.Parse(id.Value, 120, clock));
    }

    [Fact]
    public void ComputesGenesForTheConfiguredShardCount()
    {
        var clock = new FakeTimeProvider(s_start);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1, ShardCount = 16 }, clock);

        var id = generator.Next(123456789, 987654321);

        Assert.Equal(ShardFunctions.UserShard(123456789, 16), id.UserShard);
        Assert.Equal(ShardFunctions.MerchantShard(987654321, 16), id.MerchantShard);
        Assert.Equal(16, generator.ShardCount);
    }

    [Fact]
    public void IssuesEightSequenceNumbersPerTickForOnePairThenWaitsForTheNextTick()
    {
        var clock = new FakeTimeProvider(s_start);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 3 }, clock);

        var firstTick = Enumerable.Range(0, 8).Select(_ => generator.Next(5, 6)).ToList();
        Assert.Equal(Enumerable.Range(0, 8), firstTick.Select(id => id.Sequence));
        Assert.All(firstTick, id => Assert.Equal(s_start, id.Timestamp));
        Assert.Equal(0, generator.WaitCount);

        clock.AutoAdvance = TimeSpan.FromMilliseconds(1);
        var ninth = generator.Next(5, 6);

        Assert.Equal(1, generator.WaitCount);
        Assert.Equal(s_start.AddMilliseconds(10), ninth.Timestamp);
        Assert.Equal(0, ninth.Sequence);
        Assert.True(ninth > firstTick[^1]);
    }

    [Fact]
    public void GivesEveryGenePairItsOwnSequence()
    {
        var clock = new FakeTimeProvider(s_start);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 3 }, clock);
        var (user, merchant) = (1L, 1L);
        var otherUser = Enumerable.Range(2, 1000).Select(i => (long)i).First(u => ShardFunctions.UserShard(u, 120) != ShardFunctions.UserShard(user, 120));
        var sameGenesUser = Enumerable.Range(2, 1000).Select(i => (long)i).First(u => ShardFunctions.UserShard(u, 120) == ShardFunctions.UserShard(user, 120));

        Assert.Equal(0, generator.Next(user, merchant).Sequence);
        Assert.Equal(1, generator.Next(user, merchant).Sequence);
        Assert.Equal(0, generator.Next(otherUser, merchant).Sequence);
        Assert.Equal(2, generator.Next(sameGenesUser, merchant).Sequence);
    }

    [Fact]
    public void NeverIssuesADuplicateFromManyThreadsOnTheRealClock()
    {
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 255 });
        var ids = new ConcurrentBag<long[]>();

        Parallel.For(0, 4, thread =>
        {
            var random = new Random(thread);
            var mine = new long[100_000];
            for (var i = 0; i < mine.Length; i++)
            {
                // A few hot users and merchants, so pairs run out of sequence numbers and threads contend on the same slots.
                mine[i] = generator.Next(random.Next(1, 40), random.Next(1, 40)).Value;
            }

            ids.Add(mine);
        });

        var all = ids.SelectMany(x => x).ToList();
        Assert.Equal(400_000, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.True(generator.WaitCount > 0, "the hot pairs should have used up some ticks");
    }

    [Fact]
    public void KeepsIssuingFromTheLastTickWhenTheClockGoesBackwards()
    {
        var clock = new FakeTimeProvider(s_start);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 9 }, clock);
        var before = generator.Next(5, 6);

        clock.SetUtcNow(s_start.AddSeconds(-30));
        var after = Enumerable.Range(0, 7).Select(_ => generator.Next(5, 6)).ToList();

        Assert.All(after, id => Assert.Equal(s_start, id.Timestamp));
        Assert.Equal(Enumerable.Range(1, 7), after.Select(id => id.Sequence));
        Assert.All(after, id => Assert.True(id > before));
        Assert.Equal(0, generator.WaitCount);
    }

    [Fact]
    public void WaitsForTheClockToCatchUpWhenTheRegressionIsWithinTheBound()
    {
        var clock = new FakeTimeProvider(s_start);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 9, MaxClockRegression = TimeSpan.FromSeconds(1) }, clock);
        var issued = Enumerable.Range(0, 8).Select(_ => generator.Next(5, 6).Value).ToList();

        clock.SetUtcNow(s_start.AddMilliseconds(-500));
        clock.AutoAdvance = TimeSpan.FromMilliseconds(20);
        var next = generator.Next(5, 6);

        Assert.Equal(1, generator.WaitCount);
        Assert.True(next.Timestamp > s_start);
        Assert.DoesNotContain(next.Value, issued);
    }

    [Fact]
    public void FailsWithTheSizeOfTheRegressionWhenTheClockGoesBackTooFar()
    {
        var clock = new FakeTimeProvider(s_start);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 9, MaxClockRegression = TimeSpan.FromSeconds(1) }, clock);
        for (var i = 0; i < 8; i++)
        {
            generator.Next(5, 6);
        }

        clock.SetUtcNow(s_start.AddSeconds(-5));
        var error = Assert.Throws<ShardKitException>(() => generator.Next(5, 6));

        Assert.Equal(ShardKitErrorCode.IdGenerationFailed, error.ErrorCode);
        Assert.Contains("went backwards by 5000 ms", error.Message, StringComparison.Ordinal);
        Assert.Contains("allowed 1000 ms", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public void IssuesForOtherPairsAtTheRegressedTimeWithoutDuplicates()
    {
        var clock = new FakeTimeProvider(s_start);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 9, MaxClockRegression = TimeSpan.Zero }, clock);
        var seen = new HashSet<long>();
        for (var i = 0; i < 8; i++)
        {
            Assert.True(seen.Add(generator.Next(5, 6).Value));
        }

        clock.SetUtcNow(s_start.AddMinutes(-1));
        var hotGene = ShardFunctions.UserShard(5, 120);
        var otherUsers = Enumerable.Range(100, 5_000).Select(i => (long)i)
            .Where(u => ShardFunctions.UserShard(u, 120) != hotGene)
            .DistinctBy(u => ShardFunctions.UserShard(u, 120))
            .ToList();
        Assert.Equal(119, otherUsers.Count);
        foreach (var user in otherUsers)
        {
            var id = generator.Next(user, 6);
            Assert.Equal(s_start.AddMinutes(-1), id.Timestamp);
            Assert.True(seen.Add(id.Value));
        }

        Assert.Throws<ShardKitException>(() => generator.Next(5, 6));
    }

    [Fact]
    public void RefusesToIssueWhenTheClockIsBeforeTheIdRange()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero));
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 0 }, clock);

        var error = Assert.Throws<ShardKitException>(() => generator.Next(1, 1));
        Assert.Equal(ShardKitErrorCode.IdGenerationFailed, error.ErrorCode);
        Assert.Contains("The clock reads 2024-12-31", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsNonPositiveUserAndMerchantIds()
    {
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 0 }, new FakeTimeProvider(s_start));

        Assert.Equal("userId", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Next(0, 1)).ParamName);
        Assert.Equal("merchantId", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Next(1, -1)).ParamName);
    }

    [Theory]
    [InlineData(null, "WorkerId is not set")]
    [InlineData(-1, "WorkerId must be between 0 and 255; got -1")]
    [InlineData(256, "WorkerId must be between 0 and 255; got 256")]
    public void RejectsAMissingOrOutOfRangeWorkerId(int? workerId, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = workerId }));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    public void RejectsAShardCountOutside1To128(int shardCount)
    {
        var error = Assert.Throws<ArgumentException>(() => new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1, ShardCount = shardCount }));
        Assert.Contains($"ShardCount must be between 1 and 128; got {shardCount}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsANegativeOrHugeClockRegressionBound()
    {
        Assert.Contains("MaxClockRegression", Assert.Throws<ArgumentException>(() => new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1, MaxClockRegression = TimeSpan.FromSeconds(-1) })).Message, StringComparison.Ordinal);
        Assert.Contains("MaxClockRegression", Assert.Throws<ArgumentException>(() => new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1, MaxClockRegression = TimeSpan.FromHours(1) })).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsesTheLeasedWorkerIdAndStopsWhenTheLeaseIsNoLongerHeld()
    {
        var lease = new TestLease(77);
        var generator = new OrderIdGenerator(lease, timeProvider: new FakeTimeProvider(s_start));

        Assert.Equal(77, generator.WorkerId);
        Assert.Equal(77, generator.Next(1, 2).WorkerId);

        lease.IsHeld = false;
        var error = Assert.Throws<ShardKitException>(() => generator.Next(1, 2));
        Assert.Equal(ShardKitErrorCode.IdGenerationFailed, error.ErrorCode);
        Assert.Contains("Worker ID 77 is no longer certainly held", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsBothAFixedWorkerIdAndALease()
    {
        var error = Assert.Throws<ArgumentException>(() => new OrderIdGenerator(new TestLease(1), new OrderIdGeneratorOptions { WorkerId = 2 }));
        Assert.Contains("not both", error.Message, StringComparison.Ordinal);
    }

    private sealed class TestLease(int workerId) : IWorkerIdLease
    {
        public int WorkerId { get; } = workerId;

        public bool IsHeld { get; set; } = true;
    }
}

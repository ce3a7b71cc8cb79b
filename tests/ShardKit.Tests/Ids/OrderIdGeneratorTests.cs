using System.Collections.Concurrent;

namespace ShardKit.Tests.Ids;

public sealed class OrderIdGeneratorTests
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void IssuesIdsThatCarryTheShardGenesWorkerAndTime()
    {
        var clock = new SteppingClock(s_start.AddMilliseconds(123));
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
        var clock = new SteppingClock(s_start);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1, ShardCount = 16 }, clock);

        var id = generator.Next(123456789, 987654321);

        Assert.Equal(ShardFunctions.UserShard(123456789, 16), id.UserShard);
        Assert.Equal(ShardFunctions.MerchantShard(987654321, 16), id.MerchantShard);
        Assert.Equal(16, generator.ShardCount);
    }

    [Fact]
    public void IssuesEightSequenceNumbersPerTickForOnePairThenWaitsForTheNextTick()
    {
        var clock = new SteppingClock(s_start);
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
        var clock = new SteppingClock(s_start);
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
    public void UsesUpAPairsTickAsRarelyAsThePoissonModelPredicts()
    {
        // 5 million random IDs per second: 50,000 per 10 ms tick spread over 14,400 gene pairs (λ ≈ 3.47 per pair and
        // tick). An ID waits when its pair already issued 8 in the tick: E[(N − 8)+] / λ of all IDs, about 0.4 %.
        const int count = 2_000_000;
        const double lambda = 50_000.0 / 14_400;
        var expectedFraction = Enumerable.Range(9, 60).Sum(k => (k - 8) * Math.Exp(-lambda + (k * Math.Log(lambda)) - LogFactorial(k))) / lambda;
        var (waited, issued) = Simulate(count, TimeSpan.FromTicks(2), seed: 5);

        Assert.Equal(count, issued.Count);
        Assert.InRange(waited / (double)count, 0.9 * expectedFraction, 1.1 * expectedFraction);
    }

    [Fact]
    public void IssuesUniqueIdsWhenManyPairsUseUpTheirTicks()
    {
        var (waited, issued) = Simulate(500_000, TimeSpan.FromTicks(1), seed: 6);

        Assert.True(waited > 10_000, $"only {waited} IDs waited");
        Assert.Equal(500_000, issued.Count);
        Assert.Equal(issued.Count, issued.Distinct().Count());
    }

    // Issues `count` IDs for uniformly random gene pairs, one every `step` of fake time. An ID that finds its pair's
    // tick used up waits, as in Next(): it is issued when the clock reaches the next tick, before that tick's arrivals.
    private static (int Waited, List<long> Issued) Simulate(int count, TimeSpan step, int seed)
    {
        var clock = new SteppingClock(s_start);
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 1 }, clock);
        var random = new Random(seed);
        var issued = new List<long>(count);
        var waiting = new List<(int UserGene, int MerchantGene)>();
        var waited = 0;
        var currentTick = -1L;
        for (var i = 0; i < count || waiting.Count > 0; i++)
        {
            var now = s_start + (i * step);
            clock.SetUtcNow(now);
            var tick = now.UtcTicks / 100_000;
            if (tick != currentTick)
            {
                currentTick = tick;
                var woken = waiting.ToList();
                waiting.Clear();
                foreach (var (userGene, merchantGene) in woken)
                {
                    Issue(userGene, merchantGene, firstTry: false);
                }
            }

            if (i < count)
            {
                Issue(random.Next(120), random.Next(120), firstTry: true);
            }
        }

        return (waited, issued);

        void Issue(int userGene, int merchantGene, bool firstTry)
        {
            if (generator.TryIssue(userGene, merchantGene, out var id, out _, out _))
            {
                issued.Add(id.Value);
                return;
            }

            waited += firstTry ? 1 : 0;
            waiting.Add((userGene, merchantGene));
        }
    }

    private static double LogFactorial(int n) => Enumerable.Range(2, Math.Max(0, n - 1)).Sum(k => Math.Log(k));

    [Fact]
    public void NeverIssuesADuplicateFromManyThreadsOnTheRealClock()
    {
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 254 });
        var ids = new ConcurrentBag<long[]>();

        Parallel.For(0, 4, thread =>
        {
            var random = new Random(thread);
            var mine = new long[50_000];
            for (var i = 0; i < mine.Length; i++)
            {
                // 20 hot users and merchants (at most 400 gene pairs, 320,000 IDs/s), so pairs run out of sequence numbers and threads contend on the same slots.
                mine[i] = generator.Next(random.Next(1, 21), random.Next(1, 21)).Value;
            }

            ids.Add(mine);
        });

        var all = ids.SelectMany(x => x).ToList();
        Assert.Equal(200_000, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.True(generator.WaitCount > 0, "the hot pairs should have used up some ticks");
    }

    [Fact]
    public void KeepsIssuingFromTheLastTickWhenTheClockGoesBackwards()
    {
        var clock = new SteppingClock(s_start);
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
        var clock = new SteppingClock(s_start);
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
        var clock = new SteppingClock(s_start);
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
        var clock = new SteppingClock(s_start);
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
        var clock = new SteppingClock(new DateTimeOffset(2024, 12, 31, 0, 0, 0, TimeSpan.Zero));
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 0 }, clock);

        var error = Assert.Throws<ShardKitException>(() => generator.Next(1, 1));
        Assert.Equal(ShardKitErrorCode.IdGenerationFailed, error.ErrorCode);
        Assert.Contains("The clock reads 2024-12-31", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsNonPositiveUserAndMerchantIds()
    {
        var generator = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 0 }, new SteppingClock(s_start));

        Assert.Equal("userId", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Next(0, 1)).ParamName);
        Assert.Equal("merchantId", Assert.Throws<ArgumentOutOfRangeException>(() => generator.Next(1, -1)).ParamName);
    }

    [Theory]
    [InlineData(null, "WorkerId is not set")]
    [InlineData(-1, "WorkerId must be between 0 and 254 (unique among live instances; 255 is the legacy import's); got -1")]
    [InlineData(255, "WorkerId must be between 0 and 254 (unique among live instances; 255 is the legacy import's); got 255")]
    [InlineData(256, "WorkerId must be between 0 and 254 (unique among live instances; 255 is the legacy import's); got 256")]
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
        var generator = new OrderIdGenerator(lease, timeProvider: new SteppingClock(s_start));

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

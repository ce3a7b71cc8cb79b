namespace ShardKit.Tests.Leases;

public sealed class LeasePlannerTests
{
    private static readonly int[] s_shards = Enumerable.Range(0, 120).ToArray();

    [Fact]
    public void AloneAnInstanceClaimsEveryFreeShard()
    {
        var plan = LeasePlanner.Plan("a", s_shards, [], ["a"]);

        Assert.Equal(120, plan.Target);
        Assert.Equal(s_shards, plan.Claim.Order());
        Assert.Empty(plan.Release);
    }

    [Fact]
    public void ANewInstanceCountsFromItsMembershipRowAndClaimsOnlyItsShare()
    {
        // b is live (membership row) and holds nothing yet; a joins with nothing: 120 / 3 = 40 each.
        var plan = LeasePlanner.Plan("a", s_shards, [], ["a", "b", "c"]);

        Assert.Equal(40, plan.Target);
        Assert.Equal(40, plan.Claim.Count);
        Assert.Equal(40, plan.Claim.Distinct().Count());
    }

    [Fact]
    public void AnInstanceAboveItsShareGivesUpWhatANewcomerNeeds()
    {
        var rows = s_shards.Select(s => new LeaseRow(s, "a", Live: true)).ToList();

        var plan = LeasePlanner.Plan("a", s_shards, rows, ["a", "b"]);

        Assert.Equal(60, plan.Target);
        Assert.Equal(60, plan.Release.Count);
        Assert.Equal(60, plan.Held.Count);
        Assert.Empty(plan.Release.Intersect(plan.Held));
        Assert.Empty(plan.Claim);
    }

    [Fact]
    public void UnevenSharesMoveOnceAndThenStayPut()
    {
        // 8 shards, 3 instances: target 3. At 4/2/2, b and c are each one below the target, so a gives one up;
        // at 3/3/2 (the best split of 8 over 3) nothing moves any more.
        var uneven = Rows(("a", 4), ("b", 2), ("c", 2));
        var shards = Enumerable.Range(0, 8).ToArray();
        Assert.Single(LeasePlanner.Plan("a", shards, uneven, ["a", "b", "c"]).Release);

        var settled = Rows(("a", 3), ("b", 3), ("c", 2));
        foreach (var holder in new[] { "a", "b", "c" })
        {
            var plan = LeasePlanner.Plan(holder, shards, settled, ["a", "b", "c"]);
            Assert.Empty(plan.Release);
            Assert.Empty(plan.Claim);
        }
    }

    [Fact]
    public void ShardsWithNoLiveHolderAreAlwaysTakenEvenAboveTheTarget()
    {
        // d died: its 30 leases expired and so did its membership row. a, b and c are at the old share of 30; the new
        // target is 40, so each claims 10, and whoever runs first also takes what the others' shortfall cannot absorb.
        var rows = Rows(("a", 30), ("b", 30), ("c", 30)).Concat(Enumerable.Range(90, 30).Select(s => new LeaseRow(s, "d", Live: false))).ToList();

        var plan = LeasePlanner.Plan("a", s_shards, rows, ["a", "b", "c"]);
        Assert.Equal(40, plan.Target);
        Assert.Equal(10, plan.Claim.Count);
        Assert.All(plan.Claim, s => Assert.InRange(s, 90, 119));

        // Only a is live (b and c are gone too): the target is 120 and a takes everything.
        var alone = LeasePlanner.Plan("a", s_shards, Rows(("a", 30)), ["a"]);
        Assert.Equal(90, alone.Claim.Count);

        // Free shards go to whoever is short: a when it is, the others when only they are (a leaves them their share);
        // a live instance that holds nothing yet (c, just started) is owed its share too.
        var full = Rows(("a", 30), ("b", 40), ("c", 40));
        var beyond = LeasePlanner.Plan("a", s_shards, full, ["a", "b", "c"]);
        Assert.Equal(10, beyond.Claim.Count);
        var orphans = LeasePlanner.Plan("a", s_shards, Rows(("a", 40), ("b", 40), ("c", 30)), ["a", "b", "c"]);
        Assert.Empty(orphans.Claim);
        var gone = LeasePlanner.Plan("a", s_shards, Rows(("a", 40), ("b", 40)), ["a", "b", "c"]);
        Assert.Equal(40, gone.Target);
        Assert.Empty(gone.Claim);
    }

    [Fact]
    public void ALeaseOnAShardTheMapMovedToAnotherClusterIsGivenUp()
    {
        var rows = new List<LeaseRow> { new(3, "a", true), new(200, "a", true) };

        var plan = LeasePlanner.Plan("a", [3, 4], rows, ["a"]);

        Assert.Equal([3], plan.Held);
        Assert.Equal([200], plan.Release);
        Assert.Equal([4], plan.Claim);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(200)]
    public void InstancesRenewingInTurnSettleOnFairSharesAndStopMovingShards(int instances)
    {
        var table = new Table(s_shards);
        var holders = Enumerable.Range(0, instances).Select(i => $"i{i}").ToList();
        var rounds = table.RunUntilStable(holders, maxRounds: 10);

        Assert.InRange(rounds, 1, 5);
        var counts = holders.Select(table.Count).ToList();
        Assert.Equal(120, counts.Sum());
        Assert.True(counts.Max() - counts.Min() <= 1 || counts.Max() <= (120 + instances - 1) / instances, string.Join(",", counts));
        Assert.InRange(counts.Max(), 0, (120 + instances - 1) / instances);
    }

    [Fact]
    public void WhenAnInstanceDiesTheOthersTakeItsShardsAndWhenOneJoinsTheyMakeRoom()
    {
        var table = new Table(s_shards);
        var holders = new List<string> { "a", "b", "c", "d" };
        table.RunUntilStable(holders, maxRounds: 10);
        Assert.All(holders, h => Assert.Equal(30, table.Count(h)));

        table.Expire("d");
        holders.Remove("d");
        Assert.InRange(table.RunUntilStable(holders, maxRounds: 10), 1, 3);
        Assert.All(holders, h => Assert.Equal(40, table.Count(h)));
        Assert.Equal(0, table.Count("d"));

        holders.Add("e");
        Assert.InRange(table.RunUntilStable(holders, maxRounds: 10), 1, 4);
        Assert.All(holders, h => Assert.Equal(30, table.Count(h)));
    }

    private static List<LeaseRow> Rows(params (string Holder, int Count)[] holders)
    {
        var rows = new List<LeaseRow>();
        var next = 0;
        foreach (var (holder, count) in holders)
        {
            rows.AddRange(Enumerable.Range(next, count).Select(s => new LeaseRow(s, holder, Live: true)));
            next += count;
        }

        return rows;
    }

    /// <summary>The lease table of one cluster, with claims applied the way the conditional UPDATE applies them.</summary>
    private sealed class Table(int[] shards)
    {
        private readonly Dictionary<int, (string Holder, bool Live)> _rows = [];

        public int Count(string holder) => _rows.Values.Count(r => r.Live && r.Holder == holder);

        public void Expire(string holder)
        {
            foreach (var (shard, row) in _rows.ToList())
            {
                if (row.Holder == holder)
                {
                    _rows[shard] = (holder, false);
                }
            }
        }

        /// <summary>Lets every holder renew in turn until a whole round changes nothing; returns the rounds that changed something.</summary>
        public int RunUntilStable(List<string> holders, int maxRounds)
        {
            for (var round = 1; round <= maxRounds + 1; round++)
            {
                var changed = false;
                foreach (var holder in holders)
                {
                    var plan = LeasePlanner.Plan(holder, shards, _rows.Select(r => new LeaseRow(r.Key, r.Value.Holder, r.Value.Live)).ToList(), holders);
                    foreach (var shard in plan.Release)
                    {
                        _rows[shard] = ("", false);
                        changed = true;
                    }

                    foreach (var shard in plan.Claim.Where(s => !_rows.TryGetValue(s, out var r) || !r.Live))
                    {
                        _rows[shard] = (holder, true);
                        changed = true;
                    }
                }

                if (!changed)
                {
                    return round - 1;
                }
            }

            throw new InvalidOperationException($"The leases still move after {maxRounds} rounds.");
        }
    }
}

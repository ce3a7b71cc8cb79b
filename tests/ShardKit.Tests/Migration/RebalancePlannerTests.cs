using ShardKit.Migrations.Migration.Moves;

namespace ShardKit.Tests.Migration;

public sealed class RebalancePlannerTests
{
    [Fact]
    public void TwoToFourClustersMovesTheUpperHalfOfEachOldRangeSoEachNewClusterTakesAContiguousQuarter()
    {
        var current = Placement(("c0", 60), ("c1", 60));

        var moves = RebalancePlanner.Plan(ShardDimension.User, current, ["c0", "c1", "c2", "c3"]);

        Assert.Equal(60, moves.Count);
        Assert.Equal(Enumerable.Range(30, 30), moves.Where(m => m.To == "c2").Select(m => m.Shard));
        Assert.All(moves.Where(m => m.To == "c2"), m => Assert.Equal("c0", m.From));
        Assert.Equal(Enumerable.Range(90, 30), moves.Where(m => m.To == "c3").Select(m => m.Shard));
        Assert.All(moves.Where(m => m.To == "c3"), m => Assert.Equal("c1", m.From));
        AssertEven(Apply(current, moves), ["c0", "c1", "c2", "c3"]);
    }

    [Fact]
    public void ABalancedPlacementNeedsNoMoves()
    {
        Assert.Empty(RebalancePlanner.Plan(ShardDimension.Merchant, Placement(("c0", 4), ("c1", 4)), ["c0", "c1"]));
    }

    [Fact]
    public void DrainingAClusterMovesOnlyItsShards()
    {
        var current = Placement(("c0", 3), ("c1", 3), ("c2", 3));

        var moves = RebalancePlanner.Plan(ShardDimension.User, current, ["c0", "c1"]);

        Assert.Equal([6, 7, 8], moves.Select(m => m.Shard));
        Assert.All(moves, m => Assert.Equal("c2", m.From));
        var after = Apply(current, moves);
        Assert.DoesNotContain("c2", after);
        AssertEven(after, ["c0", "c1"]);
    }

    [Theory]
    [InlineData(7, 3)]
    [InlineData(8, 3)]
    [InlineData(120, 7)]
    [InlineData(5, 4)]
    public void TheNumberOfMovesIsTheSumOfEachClustersExcessOverItsQuota(int shards, int newClusters)
    {
        var current = Placement(("a", shards - (shards / 3)), ("b", shards / 3));
        var clusters = new[] { "a", "b" }.Concat(Enumerable.Range(0, newClusters).Select(i => $"n{i}")).ToArray();

        var moves = RebalancePlanner.Plan(ShardDimension.User, current, clusters);

        var after = Apply(current, moves);
        AssertEven(after, clusters);
        var minimum = clusters.Sum(c => Math.Max(0, current.Count(x => x == c) - after.Count(x => x == c)));
        Assert.Equal(minimum, moves.Count);
        Assert.All(moves, m => Assert.NotEqual(m.From, m.To));
    }

    [Fact]
    public void BadClusterListsAreRefusedNamingTheProblem()
    {
        var current = Placement(("c0", 2));
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => RebalancePlanner.Plan(ShardDimension.User, current, [])).Message, StringComparison.Ordinal);
        Assert.Contains("'C0' twice", Assert.Throws<ArgumentException>(() => RebalancePlanner.Plan(ShardDimension.User, current, ["c0", "C0"])).Message, StringComparison.Ordinal);
    }

    private static List<string> Placement(params (string Cluster, int Count)[] ranges) => ranges.SelectMany(r => Enumerable.Repeat(r.Cluster, r.Count)).ToList();

    private static List<string> Apply(List<string> current, IReadOnlyList<PlannedMove> moves)
    {
        var after = current.ToList();
        foreach (var move in moves)
        {
            Assert.Equal(after[move.Shard], move.From);
            after[move.Shard] = move.To;
        }

        return after;
    }

    private static void AssertEven(List<string> placement, string[] clusters)
    {
        var counts = clusters.Select(c => placement.Count(x => x == c)).ToList();
        Assert.True(counts.Max() - counts.Min() <= 1, $"uneven: {string.Join(", ", counts)}");
        Assert.Equal(placement.Count, counts.Sum());
    }
}

using ShardKit.Migration;
using ShardKit.Tests.Fakes;
using ShardKit.Topology;

namespace ShardKit.Tests.Migration;

public sealed class MoveSignalTests
{
    [Fact]
    public void ReadsTheShardAndClusterFromTheFenceSignal()
    {
        var error = new FakeDbException(
            "shardkit-moved user:17 c2: shard user:17 is served by cluster c2; refresh the placement and retry", "45000");

        var signal = MoveSignal.Find(new InvalidOperationException("outer", error));

        Assert.Equal(new MoveSignal(ShardDimension.User, 17, "c2"), signal);
    }

    [Fact]
    public void OtherErrorsAreNotAMove()
    {
        Assert.Null(MoveSignal.Find(new FakeDbException("some other signal", "45000")));
        Assert.Null(MoveSignal.Find(new FakeDbException("shardkit-moved user:17 c2: x", "HY000")));
    }

    [Fact]
    public void APlacementOverrideMovesOneShardAndIgnoresUnknownClusters()
    {
        var options = new ShardKitOptions
        {
            Clusters =
            [
                new ShardClusterOptions { Name = "c0", Primary = "Server=h0;User ID=u" },
                new ShardClusterOptions { Name = "c1", Primary = "Server=h1;User ID=u" },
            ],
            Dimensions = new ShardDimensionsOptions { User = new ShardDimensionOptions { ShardCount = 4 }, Merchant = new ShardDimensionOptions { ShardCount = 4 } },
        };

        var map = TopologyCompiler.Compile(options, [new PlacementOverride(ShardDimension.User, 1, "c1", 1), new PlacementOverride(ShardDimension.User, 2, "c9", 1)], out var errors)!;

        Assert.Empty(errors);
        Assert.Equal(["c0", "c1", "c1", "c1"], map.GetRoutes(ShardDimension.User).Select(r => r.Cluster.Name));
        Assert.Equal(["c0", "c0", "c1", "c1"], map.GetRoutes(ShardDimension.Merchant).Select(r => r.Cluster.Name));
    }
}

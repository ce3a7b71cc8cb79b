using ShardKit.Migration;
using ShardKit.Tests.Fakes;
using ShardKit.Topology;

namespace ShardKit.Tests.Migration;

public sealed class ShardFenceSignalTests
{
    [Fact]
    public void ReadsTheShardAndClusterFromAMovedShardsFenceSignal()
    {
        var error = new FakeDbException(
            "shardkit-fence user:17 cluster:c2: shard user:17 is served by cluster c2; refresh the placement and retry", "45000");

        var signal = ShardFenceSignal.Find(new InvalidOperationException("outer", error));

        Assert.Equal(new ShardFenceSignal(ShardDimension.User, 17, "cluster:c2"), signal);
        Assert.Equal(("c2", (Authority?)null), (signal!.Cluster, signal.Side));
    }

    [Fact]
    public void ReadsTheBucketAndTheSideOfALegacyImportFromTheSameSignal()
    {
        var onShard = ShardFenceSignal.Find(new FakeDbException(
            "shardkit-fence user:17 legacy: the legacy database serves bucket 17 of the orders now; write there", "45000"));
        var onLegacy = ShardFenceSignal.Find(new FakeDbException(
            "shardkit-fence user:3 shards: the shards serve bucket 3 of the legacy orders of `legacy` now; write there", "45000"));

        Assert.Equal((17, (Authority?)Authority.Source, (string?)null), (onShard!.Shard, onShard.Side, onShard.Cluster));
        Assert.Equal((3, (Authority?)Authority.Target, (string?)null), (onLegacy!.Shard, onLegacy.Side, onLegacy.Cluster));
    }

    [Fact]
    public void OtherErrorsAreNotAFenceSignal()
    {
        Assert.Null(ShardFenceSignal.Find(new FakeDbException("some other signal", "45000")));
        Assert.Null(ShardFenceSignal.Find(new FakeDbException("shardkit-fence user:17 cluster:c2: x", "HY000")));
        Assert.Null(ShardFenceSignal.Find(new FakeDbException("shardkit-fence user:17 somebody: x", "45000")));
        Assert.Null(ShardFenceSignal.Find(new FakeDbException("shardkit-fence orders:17 legacy: x", "45000")));
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

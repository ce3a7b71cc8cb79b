using System.Text;
using Microsoft.Extensions.Configuration;
using ShardKit.Tests.Fakes;
using static ShardKit.Tests.Fakes.TestTopologies;

namespace ShardKit.Tests.Topology;

public sealed class TopologyValidationTests
{
    [Fact]
    public void DevUpFileBindsAndSpreadsBothDimensionsEvenlyOverTheClusters()
    {
        const string json = """
            {"ShardKit":{"Clusters":[
              {"Name":"c0","Primary":"Server=127.0.0.1;Port=3310;User ID=root;Password=pw","Replicas":["Server=127.0.0.1;Port=3311;User ID=root;Password=pw"]},
              {"Name":"c1","Primary":"Server=127.0.0.1;Port=3312;User ID=root;Password=pw","Replicas":["Server=127.0.0.1;Port=3313;User ID=root;Password=pw"]}]}}
            """;
        var options = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build()
            .GetSection("ShardKit").Get<ShardKitOptions>()!;

        var map = ShardMap.Create(options);

        Assert.Equal(1, map.Version);
        Assert.Equal(120, map.GetShardCount(ShardDimension.User));
        Assert.Equal(120, map.GetShardCount(ShardDimension.Merchant));
        foreach (var dimension in new[] { ShardDimension.User, ShardDimension.Merchant })
        {
            Assert.All(Enumerable.Range(0, 60), s => Assert.Equal("c0", map.GetRoute(dimension, s).Cluster.Name));
            Assert.All(Enumerable.Range(60, 60), s => Assert.Equal("c1", map.GetRoute(dimension, s).Cluster.Name));
        }

        Assert.Equal("sk_user_007", map.GetRoute(ShardDimension.User, 7).Schema);
        Assert.Equal("sk_merchant_119", map.GetRoute(ShardDimension.Merchant, 119).Schema);
        Assert.Equal("127.0.0.1:3312", map.GetRoute(ShardDimension.User, 60).Endpoint.Address);
        Assert.Single(map.Clusters[1].Replicas);
    }

    [Fact]
    public void DefaultPlacementGivesUnevenCountsContiguousRanges()
    {
        var map = ShardMap.Create(DevUp(clusters: 7));

        var perCluster = map.GetRoutes(ShardDimension.User).GroupBy(r => r.Cluster.Name).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(7, perCluster.Count);
        Assert.All(perCluster.Values, count => Assert.InRange(count, 17, 18));
        var clusters = map.GetRoutes(ShardDimension.User).Select(r => r.Cluster.Index).ToList();
        Assert.Equal(clusters.OrderBy(c => c), clusters);
    }

    [Fact]
    public void ExplicitPlacementPutsDimensionsOnSharedClustersInAnyOrder()
    {
        var options = DevUp();
        options.Dimensions.User.Placement = [Place("0-59", "c0"), Place("60-119", "c1")];
        options.Dimensions.Merchant.Placement = [Place("0-9", "c1"), Place("10-119", "c0")];

        var map = ShardMap.Create(options);

        Assert.Equal("c0", map.GetRoute(ShardDimension.User, 0).Cluster.Name);
        Assert.Equal("c1", map.GetRoute(ShardDimension.Merchant, 0).Cluster.Name);
        Assert.Equal("c0", map.GetRoute(ShardDimension.Merchant, 10).Cluster.Name);
        Assert.Same(map.GetRoute(ShardDimension.User, 0).Cluster, map.GetRoute(ShardDimension.Merchant, 10).Cluster);
    }

    [Fact]
    public void NamesTheShardThatIsNotMapped()
    {
        var options = DevUp();
        options.Dimensions.User.Placement = [Place("0-59", "c0"), Place("60-118", "c1")];

        var errors = ShardMap.Validate(options);

        Assert.Equal(["user shard 119 is not mapped"], errors);
    }

    [Fact]
    public void NamesARunOfUnmappedShardsOnce()
    {
        var options = DevUp();
        options.Dimensions.Merchant.Placement = [Place("0-59", "c0")];

        Assert.Equal(["merchant shards 60-119 are not mapped"], ShardMap.Validate(options));
    }

    [Fact]
    public void NamesTheShardMappedTwiceAndBothClusters()
    {
        var options = DevUp();
        options.Dimensions.Merchant.Placement = [Place("0-17", "c0"), Place("17-119", "c1")];

        Assert.Equal(["merchant shard 17 is mapped twice (c0 and c1)"], ShardMap.Validate(options));
    }

    [Fact]
    public void NamesTheUnknownCluster()
    {
        var options = DevUp();
        options.Dimensions.User.Placement = [Place("0-59", "c0"), Place("60-119", "c9")];

        var error = Assert.Single(ShardMap.Validate(options));
        Assert.Contains("unknown cluster 'c9'", error, StringComparison.Ordinal);
        Assert.Contains("user placement #1", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a-b")]
    [InlineData("59-0")]
    [InlineData("-1")]
    [InlineData("")]
    public void RejectsAMalformedShardRange(string range)
    {
        var options = DevUp();
        options.Dimensions.User.Placement = [Place(range, "c0")];

        var error = Assert.Single(ShardMap.Validate(options));
        Assert.Contains($"Shards '{range}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsARangeBeyondTheShardCount()
    {
        var options = DevUp();
        options.Dimensions.User.Placement = [Place("0-59", "c0"), Place("60-120", "c1")];

        var error = Assert.Single(ShardMap.Validate(options));
        Assert.Contains("beyond the 120 user shards", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsDuplicateClusterNames()
    {
        var options = DevUp();
        options.Clusters[1].Name = "C0";

        Assert.Contains("cluster name 'C0' is used by more than one cluster", ShardMap.Validate(options));
    }

    [Fact]
    public void RejectsTwoClustersOnTheSameEndpoint()
    {
        var options = DevUp();
        options.Clusters[1].Primary = "Server=127.0.0.1;Port=3310;User ID=other;Password=x";

        var error = Assert.Single(ShardMap.Validate(options));
        Assert.Equal("endpoint 127.0.0.1:3310 is used by both cluster 'c0' Primary and cluster 'c1' Primary", error);
    }

    [Fact]
    public void RejectsAReplicaSharingItsPrimarysEndpoint()
    {
        var options = DevUp();
        options.Clusters[0].Replicas = [options.Clusters[0].Primary];

        Assert.Contains("endpoint 127.0.0.1:3310 is used by both cluster 'c0' Primary and cluster 'c0' replica #0", ShardMap.Validate(options));
    }

    [Fact]
    public void TreatsAMissingPortAsTheDefaultPortWhenCheckingEndpoints()
    {
        var options = DevUp();
        options.Clusters[0].Primary = "Server=db1;User ID=root";
        options.Clusters[1].Primary = "Server=DB1;Port=3306;User ID=root";

        Assert.Contains("endpoint db1:3306 is used by both cluster 'c0' Primary and cluster 'c1' Primary", ShardMap.Validate(options), StringComparer.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("Server=127.0.0.1;Port=abc;Password=" + Password, "cluster 'c0' Primary connection string has Port 'abc'")]
    [InlineData("Port=3306;User ID=root;Password=" + Password, "cluster 'c0' Primary connection string has no Server")]
    [InlineData("Server=127.0.0.1;Password='" + Password, "cluster 'c0' Primary connection string cannot be parsed")]
    [InlineData("", "cluster 'c0' Primary connection string is empty")]
    public void RejectsABrokenConnectionStringWithoutPrintingIt(string connectionString, string expected)
    {
        var options = DevUp();
        options.Clusters[0].Primary = connectionString;

        var errors = ShardMap.Validate(options);

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(errors, e => e.Contains(Password, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(129)]
    [InlineData(-5)]
    public void RejectsAShardCountOutOfRange(int count)
    {
        var options = DevUp();
        options.Dimensions.User.ShardCount = count;

        Assert.Equal([$"user ShardCount is {count}; it must be from 1 to 128"], ShardMap.Validate(options));
    }

    [Fact]
    public void AcceptsASmallerShardCountWithItsOwnDefaultPlacement()
    {
        var options = DevUp();
        options.Dimensions.Merchant.ShardCount = 16;

        var map = ShardMap.Create(options);

        Assert.Equal(16, map.GetShardCount(ShardDimension.Merchant));
        Assert.Equal("c1", map.GetRoute(ShardDimension.Merchant, 8).Cluster.Name);
    }

    [Fact]
    public void RejectsASchemaFormatGivingEveryShardTheSameName()
    {
        var options = DevUp();
        options.Dimensions.User.SchemaNameFormat = "orders_db";

        Assert.Equal(["user SchemaNameFormat 'orders_db' gives the same schema 'orders_db' to user shards 0 and 1"], ShardMap.Validate(options));
    }

    [Theory]
    [InlineData("sk user {0}")]
    [InlineData("sk_{0}`")]
    [InlineData("{0}")]
    public void RejectsASchemaFormatGivingInvalidIdentifiers(string format)
    {
        var options = DevUp();
        options.Dimensions.User.SchemaNameFormat = format;

        var error = Assert.Single(ShardMap.Validate(options));
        Assert.Contains("which is not a valid schema name", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAnUnparsableSchemaFormat()
    {
        var options = DevUp();
        options.Dimensions.Merchant.SchemaNameFormat = "sk_{1}";

        var error = Assert.Single(ShardMap.Validate(options));
        Assert.StartsWith("merchant SchemaNameFormat 'sk_{1}' is not a valid format string", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsBothDimensionsUsingTheSameSchemas()
    {
        var options = DevUp();
        options.Dimensions.User.SchemaNameFormat = "orders_{0:000}";
        options.Dimensions.Merchant.SchemaNameFormat = "orders_{0:000}";

        var error = Assert.Single(ShardMap.Validate(options));
        Assert.StartsWith("user shard 0 and merchant shard 0 both use schema 'orders_000'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsAMapWithoutClusters()
    {
        var errors = ShardMap.Validate(new ShardKitOptions());

        Assert.Equal(["Clusters is empty: at least one cluster is required"], errors);
    }

    [Fact]
    public void RejectsAMapVersionBelowOne()
    {
        var options = DevUp();
        options.MapVersion = 0;

        Assert.Equal(["MapVersion is 0; it must be at least 1"], ShardMap.Validate(options));
    }

    [Fact]
    public void ReportsEveryErrorAtOnce()
    {
        var options = DevUp();
        options.Clusters[1].Name = "c0";
        options.Dimensions.User.ShardCount = 500;
        options.Dimensions.Merchant.Placement = [Place("0-100", "c0")];

        Assert.Equal(3, ShardMap.Validate(options).Count);
    }

    [Fact]
    public void CreateThrowsInvalidTopologyListingTheErrorsWithoutThePassword()
    {
        var options = DevUp();
        options.Clusters[1].Primary = options.Clusters[0].Primary;
        options.Dimensions.User.Placement = [Place("0-118", "c0")];

        var ex = Assert.Throws<ShardKitException>(() => ShardMap.Create(options));

        Assert.Equal(ShardKitErrorCode.InvalidTopology, ex.ErrorCode);
        Assert.False(ex.IsTransient);
        Assert.Contains("user shard 119 is not mapped", ex.Message, StringComparison.Ordinal);
        Assert.Contains("endpoint 127.0.0.1:3310 is used by both", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EndpointsNeverShowThePassword()
    {
        var map = ShardMap.Create(DevUp());
        var endpoint = map.Clusters[0].Primary;

        Assert.Equal("127.0.0.1:3310", endpoint.ToString());
        Assert.Equal("root", endpoint.UserId);
        Assert.DoesNotContain(Password, endpoint.RedactedConnectionString, StringComparison.Ordinal);
        Assert.Contains("***", endpoint.RedactedConnectionString, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, map.GetRoute(ShardDimension.User, 3).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ParsesALegacyEndpointAndChecksItAgainstTheClusters()
    {
        var options = DevUp();
        options.Legacy = Endpoint(3310);

        Assert.Equal(["endpoint 127.0.0.1:3310 is used by both cluster 'c0' Primary and Legacy"], ShardMap.Validate(options));

        options.Legacy = Endpoint(4000);
        Assert.Equal("127.0.0.1:4000", ShardMap.Create(options).Legacy!.Address);
    }

    [Fact]
    public void CompilesLegacyReplicasInOrderAndChecksThemLikeClusterReplicas()
    {
        var options = DevUp();
        options.Legacy = Endpoint(4000);
        options.LegacyReplicas = [Endpoint(4001), Endpoint(4002)];

        Assert.Equal(["127.0.0.1:4001", "127.0.0.1:4002"], ShardMap.Create(options).LegacyReplicas.Select(r => r.Address));

        options.LegacyReplicas = [Endpoint(4000), "Server=127.0.0.1;Port=abc;Password=" + Password, ""];
        var errors = ShardMap.Validate(options);
        Assert.Equal(3, errors.Count);
        Assert.Equal("endpoint 127.0.0.1:4000 is used by both Legacy and legacy replica #0", errors[0]);
        Assert.StartsWith("legacy replica #1 connection string has Port 'abc'", errors[1], StringComparison.Ordinal);
        Assert.Equal("legacy replica #2 connection string is empty", errors[2]);
        Assert.DoesNotContain(errors, e => e.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public void RejectsLegacyReplicasWithoutTheLegacyPrimary()
    {
        var options = DevUp();
        options.LegacyReplicas = [Endpoint(4001)];

        Assert.Equal(["LegacyReplicas are configured without Legacy: replicas of the legacy database need its primary"], ShardMap.Validate(options));
    }
}

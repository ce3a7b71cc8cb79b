using ShardKit.CrossShard;

namespace ShardKit.Tests.CrossShard;

public sealed class AggregateAccumulatorTests
{
    private static readonly CrossShardAggregateFunction[] s_functions =
        [CrossShardAggregateFunction.Count, CrossShardAggregateFunction.Sum, CrossShardAggregateFunction.Min, CrossShardAggregateFunction.Max, CrossShardAggregateFunction.Avg];

    private static readonly PartialOp[] s_ops =
        [PartialOp.AddCount, PartialOp.AddSum, PartialOp.Min, PartialOp.Max, PartialOp.AddSum, PartialOp.AddCount];

    [Fact]
    public void AddsCountsAndSumsComparesMinimaAndMaximaAndRecomputesTheAverageFromSumsAndCounts()
    {
        var accumulator = new AggregateAccumulator(s_ops, s_functions, groupCount: 0);
        accumulator.Add([], [2L, 10m, 3L, 7L, 10m, 2L]);
        accumulator.Add([], [1L, 5m, 1L, 5L, 5m, 1L]);
        accumulator.Add([], [3L, 3m, 2L, 9L, 3m, 3L]);

        var row = Assert.Single(accumulator.Results());

        Assert.Equal([6L, 18m, 1L, 9L, 3m], row.Values);
        Assert.Empty(row.Keys);
    }

    [Fact]
    public void ShardsWithoutRowsLeaveSumsMinimaMaximaAndAveragesAloneAsSqlSkipsNulls()
    {
        var accumulator = new AggregateAccumulator(s_ops, s_functions, groupCount: 0);
        accumulator.Add([], [0L, null, null, null, null, 0L]);
        accumulator.Add([], [2L, 4m, 1L, 3L, 4m, 2L]);
        accumulator.Add([], [0L, null, null, null, null, 0L]);

        Assert.Equal([2L, 4m, 1L, 3L, 2m], Assert.Single(accumulator.Results()).Values);
    }

    [Fact]
    public void WithoutAnyRowTheResultIsOneRowOfZeroCountsAndNulls()
    {
        var accumulator = new AggregateAccumulator(s_ops, s_functions, groupCount: 0);
        accumulator.Add([], [0L, null, null, null, null, 0L]);

        Assert.Equal([0L, null, null, null, null], Assert.Single(accumulator.Results()).Values);
        Assert.Equal([0L, null, null, null, null], Assert.Single(new AggregateAccumulator(s_ops, s_functions, 0).Results()).Values);
    }

    [Fact]
    public void MergesGroupsByKeyAndOrdersThemByKeyWithStringKeysAsText()
    {
        var accumulator = new AggregateAccumulator([PartialOp.AddCount], [CrossShardAggregateFunction.Count], groupCount: 1);
        byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s);
        accumulator.Add([Utf8("paid")], [2L]);
        accumulator.Add([Utf8("Paid")], [1L]);
        accumulator.Add([Utf8("created")], [4L]);
        accumulator.Add([Utf8("paid")], [5L]);

        var rows = accumulator.Results();

        Assert.Equal(["Paid", "created", "paid"], rows.Select(r => (string)r.Keys[0]!));
        Assert.Equal([1L, 4L, 7L], rows.Select(r => (long)r.Values[0]!));
    }

    [Fact]
    public void WithGroupByAndNoRowsThereAreNoGroups() =>
        Assert.Empty(new AggregateAccumulator([PartialOp.AddCount], [CrossShardAggregateFunction.Count], groupCount: 1).Results());

    [Fact]
    public void MinAndMaxCompareDatesAndDecimals()
    {
        var early = new DateTime(2026, 1, 1, 0, 0, 0, 1);
        var late = new DateTime(2026, 1, 2);

        Assert.Equal(early, AggregateAccumulator.Combine(PartialOp.Min, late, early));
        Assert.Equal(late, AggregateAccumulator.Combine(PartialOp.Max, late, early));
        Assert.Equal(-1.25m, AggregateAccumulator.Combine(PartialOp.Min, null, -1.25m));
        Assert.Equal(2.5m, AggregateAccumulator.Combine(PartialOp.Max, 2.5m, null));
        Assert.Null(AggregateAccumulator.Combine(PartialOp.AddSum, null, null));
    }
}

using ShardKit.Orders;

namespace ShardKit.Tests.Orders;

public sealed class CanonicalRowTests
{
    [Fact]
    public void DiffNamesMissingExtraAndDifferentOrdersAndIgnoresEqualOnes()
    {
        var user = new Dictionary<long, (long, ulong)> { [1] = (1, 0xA), [2] = (2, 0xB), [3] = (1, 0xC) };
        var merchant = new Dictionary<long, (long, ulong)> { [1] = (1, 0xA), [2] = (2, 0xBB), [4] = (3, 0xD) };

        var differences = CanonicalRow.Diff(17, user, merchant);

        Assert.Equal([2L, 3L, 4L], differences.Select(d => d.OrderId));
        Assert.Equal(
            [DimensionDifferenceKind.Different, DimensionDifferenceKind.MissingOnMerchant, DimensionDifferenceKind.ExtraOnMerchant],
            differences.Select(d => d.Kind));
        Assert.All(differences, d => Assert.Equal(17, d.MerchantShard));
        Assert.Equal((1L, (long?)null), (differences[1].UserVersion!.Value, differences[1].MerchantVersion));
        Assert.Equal(((long?)null, 3L), (differences[2].UserVersion, differences[2].MerchantVersion!.Value));
    }

    [Fact]
    public void DiffOfEqualSidesIsEmpty()
    {
        var rows = new Dictionary<long, (long, ulong)> { [1] = (1, 0xA), [2] = (5, 0xB) };

        Assert.Empty(CanonicalRow.Diff(0, rows, new Dictionary<long, (long, ulong)>(rows)));
    }

    [Fact]
    public void TheMerchantGeneIsTheLowSevenBitsOfTheOrderId()
    {
        Assert.Equal("((o.order_id >> 0) & 127)", CanonicalRow.MerchantGene);
        Assert.Contains("WHERE ((o.order_id >> 0) & 127) = @Gene", CanonicalRow.UserRows, StringComparison.Ordinal);
        Assert.DoesNotContain("deleted", CanonicalRow.MerchantAggregate, StringComparison.Ordinal);
    }
}

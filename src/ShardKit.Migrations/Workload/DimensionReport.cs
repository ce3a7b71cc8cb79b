namespace ShardKit.Migrations.Workload;

/// <summary>The merchant copy at the end of a demo run: the lag left, then the result of comparing both dimensions.</summary>
/// <param name="LagMs">The age of the oldest outbox entry not yet applied when the workload ended (0 when none), in milliseconds.</param>
/// <param name="Pending">Outbox entries not yet applied when the workload ended.</param>
/// <param name="MerchantShards">Merchant shards compared.</param>
/// <param name="UserOrders">Orders on the user side.</param>
/// <param name="MerchantOrders">Visible orders in the merchant copy.</param>
/// <param name="Differences">Orders that differ between the dimensions (after the relay drained).</param>
internal sealed record DimensionReport(double LagMs, long Pending, int MerchantShards, long UserOrders, long MerchantOrders, int Differences)
{
    /// <summary>Whether both dimensions hold the same orders.</summary>
    public bool Equal => Differences == 0 && UserOrders == MerchantOrders;
}

namespace ShardKit.Benchmarks.Migrations;

/// <summary>One timed step: how long it took, how many orders it moved, and the load average just before and just after it.</summary>
internal sealed record Measured(double Seconds, long Orders, string LoadBefore, string LoadAfter)
{
    public double OrdersPerSecond => Orders / Math.Max(Seconds, 1e-9);

    public string Load => $"{LoadBefore} → {LoadAfter}";
}

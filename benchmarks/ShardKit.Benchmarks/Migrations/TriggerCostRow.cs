namespace ShardKit.Benchmarks.Migrations;

/// <summary>One statement's latencies on both sides: p50 / p99 / max in milliseconds.</summary>
internal sealed record TriggerCostRow(string Write, double PlainP50, double PlainP99, double PlainMax, double CapturedP50, double CapturedP99, double CapturedMax)
{
    public double P50Ratio => CapturedP50 / PlainP50;

    public double P99Ratio => CapturedP99 / PlainP99;
}

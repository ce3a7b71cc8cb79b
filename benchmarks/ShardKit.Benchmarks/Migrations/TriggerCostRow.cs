using ShardKit.Migrations.Migration;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>One statement's latencies on both sides: p50 / p99 / max in milliseconds.</summary>
internal sealed record TriggerCostRow(string Write, double PlainP50, double PlainP99, double PlainMax, double CapturedP50, double CapturedP99, double CapturedMax)
{
    public double P50Ratio => CapturedP50 / PlainP50;

    public double P99Ratio => CapturedP99 / PlainP99;

    /// <summary>The row of one kind of write from its latencies (ms) without and with the capture triggers.</summary>
    public static TriggerCostRow Of(string write, IReadOnlyList<double> plain, IReadOnlyList<double> captured) => new(
        write,
        MigrationWorkload.Percentile(plain, 0.5), MigrationWorkload.Percentile(plain, 0.99), plain.Max(),
        MigrationWorkload.Percentile(captured, 0.5), MigrationWorkload.Percentile(captured, 0.99), captured.Max());

    /// <summary>Prints the rows as a markdown table whose first column is headed <paramref name="writeHeader"/>.</summary>
    public static void WriteTable(TextWriter output, string writeHeader, IEnumerable<TriggerCostRow> rows)
    {
        output.WriteLine($"| {writeHeader} | Without p50 ms | With p50 ms | p50 ratio | Without p99 ms | With p99 ms | p99 ratio | Without max ms | With max ms |");
        output.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var row in rows)
        {
            output.WriteLine($"| {row.Write} | {row.PlainP50:F3} | {row.CapturedP50:F3} | {row.P50Ratio:F2} | {row.PlainP99:F3} | {row.CapturedP99:F3} | {row.P99Ratio:F2} | {row.PlainMax:F2} | {row.CapturedMax:F2} |");
        }
    }
}

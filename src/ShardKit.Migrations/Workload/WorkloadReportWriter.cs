using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace ShardKit.Migrations.Workload;

/// <summary>Prints a <see cref="WorkloadReport"/> as tables, or as one JSON object.</summary>
internal static class WorkloadReportWriter
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void WriteJson(TextWriter output, WorkloadReport report) => output.WriteLine(JsonSerializer.Serialize(report, s_json));

    public static void WriteText(IAnsiConsole console, WorkloadReport report)
    {
        console.MarkupLine($"[bold]Order workload[/] against {Markup.Escape(report.Target)}");
        console.MarkupLine(Invariant($"  {report.DurationSeconds:0.0} s, concurrency {report.Concurrency}, {report.ReadRatio:0%} reads (a third each: get by ID, list by user, list by merchant)"));
        var operations = new Table()
            .AddColumn("Operation")
            .AddColumn(new TableColumn("Ops").RightAligned())
            .AddColumn(new TableColumn("Errors").RightAligned())
            .AddColumn(new TableColumn("Ops/s").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned())
            .AddColumn(new TableColumn("p95 ms").RightAligned())
            .AddColumn(new TableColumn("p99 ms").RightAligned())
            .AddColumn(new TableColumn("max ms").RightAligned());
        foreach (var operation in report.PerOperation)
        {
            operations.AddRow(
                operation.Operation,
                Invariant($"{operation.Count}"),
                Invariant($"{operation.Errors}"),
                Invariant($"{operation.Throughput:0.0}"),
                Invariant($"{operation.P50Ms:0.00}"),
                Invariant($"{operation.P95Ms:0.00}"),
                Invariant($"{operation.P99Ms:0.00}"),
                Invariant($"{operation.MaxMs:0.00}"));
        }

        operations.AddRow(
            "[bold]all[/]",
            Invariant($"[bold]{report.Operations}[/]"),
            Invariant($"[bold]{report.Errors}[/]"),
            Invariant($"[bold]{report.Throughput:0.0}[/]"),
            "",
            "",
            "",
            "");
        console.Write(operations);

        var distribution = report.Distribution;
        console.MarkupLine(Invariant($"[bold]Orders over the {distribution.ShardCount} {distribution.Dimension} shards[/]: {distribution.Orders} orders on {distribution.ShardsWritten} shards"));
        console.MarkupLine(Invariant($"  per shard: min {distribution.Min}, max {distribution.Max}, mean {distribution.Mean:0.0}, stddev {distribution.StdDev:0.0}"));
        var clusters = new Table()
            .AddColumn("Cluster")
            .AddColumn("User shards")
            .AddColumn(new TableColumn("Orders").RightAligned())
            .AddColumn(new TableColumn("Share").RightAligned())
            .AddColumn(new TableColumn("Per shard (mean)").RightAligned());
        foreach (var cluster in distribution.Clusters)
        {
            clusters.AddRow(
                Markup.Escape(cluster.Cluster),
                Invariant($"{cluster.Shards} ({cluster.ShardCount})"),
                Invariant($"{cluster.Orders}"),
                distribution.Orders == 0 ? "-" : Invariant($"{100.0 * cluster.Orders / distribution.Orders:0.0} %"),
                cluster.ShardCount == 0 ? "-" : Invariant($"{(double)cluster.Orders / cluster.ShardCount:0.0}"));
        }

        console.Write(clusters);
        if (report.Dimensions is { } dimensions)
        {
            console.MarkupLine(Invariant($"[bold]Merchant copy[/]: dimension lag at the end {dimensions.LagMs:0.0} ms ({dimensions.Pending} outbox entries pending)"));
            console.MarkupLine(Invariant($"  {dimensions.MerchantShards} merchant shards compared with the user side: {dimensions.UserOrders} orders on the user side, {dimensions.MerchantOrders} in the merchant copy, {dimensions.Differences} differences"));
        }

        if (report.ErrorSamples.Count > 0)
        {
            console.MarkupLine("[red]Errors[/]:");
            foreach (var error in report.ErrorSamples)
            {
                console.MarkupLine(Invariant($"  {error.Count} × {Markup.Escape(error.Message)}"));
            }
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

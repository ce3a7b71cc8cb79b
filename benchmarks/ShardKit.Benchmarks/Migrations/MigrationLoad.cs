using System.Globalization;
using ShardKit.Migrations.Migration;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// <c>migration</c>: the migration engines against <c>mariadb-dump | mariadb</c> of the same legacy tables in the same run,
/// at each size, without and with live writes (<see cref="MigrationScenario"/>): the legacy import's backfill
/// (<c>shardkit migrate</c>) and the shard mover's moves (<c>shardkit move-shard</c>) in orders per second and as a ratio to the
/// baseline; the pause per bucket and per shard at cutover (p50 / p99 / max); the capture triggers' cost to a single-order
/// write (p50 / p99 with and without). Every figure carries the load average just before and just after it.
/// Not a BenchmarkDotNet class: the figures are rates and pauses of whole runs, printed as markdown.
/// </summary>
internal static class MigrationLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var options = Parse(args);
        var console = Console.Out;
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        if (options.LegacyTriggers)
        {
            return await RunAloneAsync(console, $"legacy capture triggers only; {options.TriggerRounds} rounds × {options.TriggerBlock} writes per side", () => LegacyTriggerCostScenario.RunAsync(options, console, cancel.Token));
        }

        if (options.Rebalance)
        {
            return await RunAloneAsync(console, "rebalance only", () => RebalanceScenario.RunAsync(options, console, cancel.Token));
        }

        console.WriteLine($"uptime at start: {Uptime()}");
        console.WriteLine($"started {DateTime.UtcNow:u}; {Environment.ProcessorCount} cores, {Cpu()}; sizes {string.Join(", ", options.Sizes)}; " +
            $"modes {string.Join(", ", options.Live.Select(Mode))}; {options.Writers} writers during the backfill, {options.Traffic} traffic loops during the moves; " +
            $"{options.Dumps} dump | reload runs before and after each backfill; {options.Moves} shard moves; trigger probe {options.TriggerRounds} rounds × {options.TriggerBlock} writes per side");
        var results = new List<MigrationScenarioResult>();

        foreach (var size in options.Sizes)
        {
            foreach (var live in options.Live)
            {
                var result = await MigrationScenario.RunAsync(size, live, options, console, cancel.Token);
                results.Add(result);
                Write(console, result);
            }
        }

        console.WriteLine();
        console.WriteLine("## Summary (orders per second; ratio to the median of the scenario's dump | reload runs before the backfill)");
        console.WriteLine();
        if (options.BackfillOnly)
        {
            console.WriteLine("| Orders | Writes | dump \\| reload runs, before / after the backfill | Backfill (`migrate`) | Ratio | Bucket pause p50 / p99 / max | Load before → after the backfill |");
            console.WriteLine("|--:|---|--:|--:|--:|--:|---|");
            foreach (var r in results)
            {
                console.WriteLine($"| {r.Orders:N0} | {Mode(r.Live)} | {Rates(r.DumpBefore)} / {Rates(r.DumpAfter)} (baseline {r.BaselineOrdersPerSecond:N0}) | {r.Backfill.OrdersPerSecond:N0} | **{r.Backfill.OrdersPerSecond / r.BaselineOrdersPerSecond:F2}×** | {Pauses(r.BucketPausesMs)} | {r.Backfill.Load} |");
            }
        }
        else
        {
            console.WriteLine("| Orders | Writes | dump \\| reload runs, before / after the backfill | Backfill (`migrate`) | Ratio | Shard mover (`move-shard`), whole moves | Ratio | Mover copy phase | Ratio | Bucket pause p50 / p99 / max | Shard pause p50 / p99 / max | Load before → after the backfill |");
            console.WriteLine("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
            foreach (var r in results)
            {
                console.WriteLine($"| {r.Orders:N0} | {Mode(r.Live)} | {Rates(r.DumpBefore)} / {Rates(r.DumpAfter)} (baseline {r.BaselineOrdersPerSecond:N0}) | {r.Backfill.OrdersPerSecond:N0} | **{r.Backfill.OrdersPerSecond / r.BaselineOrdersPerSecond:F2}×** | " +
                    $"{r.MoverOrdersPerSecond:N0} | **{r.MoverOrdersPerSecond / r.BaselineOrdersPerSecond:F2}×** | {r.MoverCopyOrdersPerSecond:N0} | **{r.MoverCopyOrdersPerSecond / r.BaselineOrdersPerSecond:F2}×** | {Pauses(r.BucketPausesMs)} | {Pauses(r.Moves.Select(m => m.PauseMs).ToList())} | {r.Backfill.Load} |");
            }
        }

        console.WriteLine();
        console.WriteLine($"uptime at end: {Uptime()}");
        return 0;
    }

    /// <summary>Runs one scenario on its own, between the machine's uptime line at start and at end.</summary>
    private static async Task<int> RunAloneAsync(TextWriter console, string what, Func<Task<int>> scenario)
    {
        console.WriteLine($"uptime at start: {Uptime()}");
        console.WriteLine($"started {DateTime.UtcNow:u}; {Environment.ProcessorCount} cores, {Cpu()}; {what}");
        var exit = await scenario();
        console.WriteLine();
        console.WriteLine($"uptime at end: {Uptime()}");
        return exit;
    }

    private static void Write(TextWriter output, MigrationScenarioResult r)
    {
        var baseline = r.BaselineOrdersPerSecond;
        output.WriteLine();
        output.WriteLine($"## {r.Orders:N0} orders, {Mode(r.Live)}");
        output.WriteLine();
        output.WriteLine("| Step | Seconds | Orders | Orders/s | Ratio to the baseline | Load before → after |");
        output.WriteLine("|---|--:|--:|--:|--:|---|");
        foreach (var (d, i) in r.DumpBefore.Select((d, i) => (d, i)))
        {
            output.WriteLine($"| `mariadb-dump \\| mariadb` {i + 1}, before the backfill | {d.Seconds:F2} | {d.Orders:N0} | {d.OrdersPerSecond:N0} | {d.OrdersPerSecond / baseline:F2} | {d.Load} |");
        }

        foreach (var (d, i) in r.DumpAfter.Select((d, i) => (d, i)))
        {
            output.WriteLine($"| `mariadb-dump \\| mariadb` {i + 1}, after the cutover | {d.Seconds:F2} | {d.Orders:N0} | {d.OrdersPerSecond:N0} | {d.OrdersPerSecond / baseline:F2} | {d.Load} |");
        }
        output.WriteLine($"| `migrate` backfill (both dimensions, legacy IDs, catch-up) | {r.Backfill.Seconds:F2} | {r.Backfill.Orders:N0} | {r.Backfill.OrdersPerSecond:N0} | **{r.Backfill.OrdersPerSecond / baseline:F2}** | {r.Backfill.Load} |");
        var timed = r.TimedMoves.ToList();
        if (timed.Count > 0)
        {
            output.WriteLine($"| `move-shard`, {timed.Count} user shards c0 → c1 one after the other (whole moves) | {timed.Sum(m => m.Move.Seconds):F2} | {timed.Sum(m => m.Move.Orders):N0} | {r.MoverOrdersPerSecond:N0} | **{r.MoverOrdersPerSecond / baseline:F2}** | {timed.First().Move.LoadBefore} → {timed.Last().Move.LoadAfter} |");
            output.WriteLine($"| `move-shard` copy phases alone, all {r.Moves.Count} moves (set-up, drains, compare and cutover left out) | {r.Moves.Sum(m => m.CopySeconds):F2} | {r.Moves.Sum(m => m.Move.Orders):N0} | {r.MoverCopyOrdersPerSecond:N0} | **{r.MoverCopyOrdersPerSecond / baseline:F2}** | |");
        }

        output.WriteLine($"| `migrate cutover` of all {r.BucketPausesMs.Count} buckets | {r.Cutover.Seconds:F2} | | | | {r.Cutover.Load} |");
        output.WriteLine();
        output.WriteLine($"Where the backfill's time went: {r.BackfillProfile}.");
        output.WriteLine();
        if (timed.Count > 0)
        {
            output.WriteLine($"Mover rows copied (orders, items, outbox and every other table of the shards): {timed.Sum(m => m.RowsCopied):N0}, {r.MoverRowsPerSecond:N0} rows/s.");
            output.WriteLine();
        }

        output.WriteLine("| Pause at cutover | n | p50 ms | p99 ms | max ms |");
        output.WriteLine("|---|--:|--:|--:|--:|");
        output.WriteLine($"| per bucket (`migrate cutover`, fence lock request → target open){(r.BucketsRetried > 0 ? $"; {r.BucketsRetried} bucket(s) over the 1 s budget fell back and were retried" : "")} | {r.BucketPausesMs.Count} | {Percentile(r.BucketPausesMs, 0.5):F1} | {Percentile(r.BucketPausesMs, 0.99):F1} | {r.BucketPausesMs.Max():F1} |");
        var shardPauses = r.Moves.Select(m => m.PauseMs).ToList();
        if (shardPauses.Count > 0)
        {
            output.WriteLine($"| per shard (`move-shard`, fence frozen → switched) | {shardPauses.Count} | {Percentile(shardPauses, 0.5):F1} | {Percentile(shardPauses, 0.99):F1} | {shardPauses.Max():F1} |");
        }

        output.WriteLine();
        if (r.TriggerCost is not { } t)
        {
            output.WriteLine($"Checks: application operations during backfill and cutover {r.BackfillApplicationOperations:N0}, errors {r.BackfillApplicationErrors}; lost {r.Lost}, resurrected {r.Resurrected}, different {r.Different}; " +
                $"buckets equal {r.BucketsEqual}, dimensions equal {r.DimensionsEqual}.");
            return;
        }

        output.WriteLine($"Capture triggers' cost to a writer: user:{t.PlainShard} without triggers, user:{t.CapturedShard} with the move started (PLAN), {t.Samples} writes per side in alternating blocks; load {t.LoadBefore} → {t.LoadAfter}.");
        output.WriteLine();
        TriggerCostRow.WriteTable(output, "Write (autocommit, one open connection)", t.Rows);

        output.WriteLine();
        output.WriteLine("| Move | Orders | Rows copied | Changes applied | Seconds | Orders/s | Copy phase s | Copy orders/s | Pause ms | Load before → after |");
        output.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        foreach (var m in r.Moves)
        {
            output.WriteLine($"| {m.Shard}{(m.StartedBefore ? " (started before the trigger probe; not in the rate)" : "")} | {m.Move.Orders:N0} | {m.RowsCopied:N0} | {m.ChangesApplied:N0} | {m.Move.Seconds:F2} | {m.Move.OrdersPerSecond:N0} | {m.CopySeconds:F2} | {m.CopyOrdersPerSecond:N0} | {m.PauseMs:F1} | {m.Move.Load} |");
        }

        output.WriteLine();
        output.WriteLine($"Checks: application operations during backfill and cutover {r.BackfillApplicationOperations:N0}, errors {r.BackfillApplicationErrors}; lost {r.Lost}, resurrected {r.Resurrected}, different {r.Different}; " +
            $"buckets equal {r.BucketsEqual}, dimensions equal {r.DimensionsEqual}; every move switched {r.Moves.All(m => m.Switched)}.");
        if (r.MoveTraffic is { } traffic)
        {
            output.WriteLine($"Live traffic during the trigger probe and the moves: {traffic.Operations:N0} operations ({traffic.OperationsPerSecond:N0}/s), {traffic.Errors} errors; create p99 per 2 s window: median {traffic.CreateP99MedianMs:F1} ms, worst {traffic.CreateP99WorstMs:F1} ms." +
                (traffic.ErrorSamples.Count > 0 ? " Errors: " + string.Join("; ", traffic.ErrorSamples) : ""));
        }
    }

    private static string Rates(IReadOnlyList<Measured> runs) => string.Join(" ", runs.Select(d => d.OrdersPerSecond.ToString("N0", CultureInfo.InvariantCulture)));

    private static string Pauses(IReadOnlyList<double> pauses) =>
        $"{Percentile(pauses, 0.5):F0} / {Percentile(pauses, 0.99):F0} / {pauses.DefaultIfEmpty(0).Max():F0} ms";

    private static double Percentile(IReadOnlyList<double> values, double quantile) => MigrationWorkload.Percentile(values, quantile);

    private static string Mode(bool live) => live ? "live writes" : "no writes";

    private static string Uptime() => File.ReadAllText("/proc/loadavg").Trim() + $" (load average {LoadAverage.Read()})";

    private static string Cpu() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    private static MigrationLoadOptions Parse(string[] args)
    {
        var defaults = new MigrationLoadOptions();
        return new MigrationLoadOptions
        {
            Sizes = Option(args, "--sizes")?.Split(',').Select(s => Number("--sizes", s)).ToList() ?? defaults.Sizes,
            Live = Option(args, "--modes")?.Split(',').Select(m => m switch
            {
                "idle" => false,
                "live" => true,
                _ => throw new ArgumentException($"--modes takes idle and/or live (comma-separated); got '{m}'."),
            }).ToList() ?? defaults.Live,
            Writers = Int(args, "--writers") ?? defaults.Writers,
            Traffic = Int(args, "--traffic") ?? defaults.Traffic,
            Moves = Math.Max(2, Int(args, "--moves") ?? defaults.Moves),
            TriggerRounds = Int(args, "--trigger-rounds") ?? defaults.TriggerRounds,
            TriggerBlock = Int(args, "--trigger-block") ?? defaults.TriggerBlock,
            Dumps = Int(args, "--dumps") ?? defaults.Dumps,
            Rebalance = args.Contains("--rebalance"),
            LegacyTriggers = args.Contains("--legacy-triggers"),
            RebalanceOrders = Int(args, "--rebalance-orders") ?? defaults.RebalanceOrders,
            Parallel = Int(args, "--parallel") ?? defaults.Parallel,
            BaselineSeconds = Int(args, "--baseline-seconds") ?? defaults.BaselineSeconds,
            BackfillOnly = args.Contains("--backfill-only"),
            ChunkSize = Int(args, "--chunk-size"),
        };
    }

    private static int? Int(string[] args, string name) => Option(args, name) is { } value ? Number(name, value) : null;

    private static int Number(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{name} takes {(name == "--sizes" ? "positive whole numbers, comma-separated" : "a positive whole number")}; got '{value}'.");

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using ShardKit.MySqlClient;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Load;

/// <summary>
/// The <c>load</c> verb: starts one MariaDB server, prepares sysbench's <c>sbtest1</c> table, and at each worker count
/// runs pooled point selects through ShardKit.MySqlClient and <c>sysbench oltp_point_select</c> against that same server,
/// one after the other, for several rounds in a rotated order (so no client always runs first, on a cold JIT or a
/// quieter machine), then prints each client's median round: throughput, the ratio to sysbench, latency percentiles
/// and allocation per query.
/// </summary>
internal static class LoadCommand
{
    private const string Database = "sbtest";
    private const int TableSize = 100_000;

    /// <summary>The ratio to sysbench (text protocol) ShardKit must reach at 16 workers.</summary>
    private const double TargetRatio = 0.8;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        LoadOptions options;
        try
        {
            options = LoadOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(LoadOptions.Usage);
            return 2;
        }

        if (!Sysbench.IsInstalled)
        {
            await Console.Error.WriteLineAsync($"sysbench was not found at {Sysbench.Executable}; install it with 'apt-get install -y sysbench'.");
            return 1;
        }

        // With --json, stdout carries only the JSON document; progress goes to stderr.
        var progress = options.Json ? Console.Error : Console.Out;
        var duration = TimeSpan.FromSeconds(options.Seconds);
        var machine = MachineInfo.Current();
        var loadBefore = MachineInfo.LoadAverage();

        await progress.WriteLineAsync("Starting a MariaDB server...");
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 0, Tls = false, BufferPoolMegabytes = 256 });
        var server = topology.Clusters[0].Primary;
        var serverVersion = await server.QueryScalarAsync("SELECT VERSION()") ?? "unknown";
        await server.ExecuteAsync($"CREATE DATABASE {Database}");
        var sysbench = new Sysbench(server, Database, TableSize);
        await progress.WriteLineAsync($"Preparing sbtest1 ({TableSize:N0} rows) with sysbench...");
        await sysbench.PrepareAsync();

        var poolSize = Math.Max(100, options.Workers.Max());
        await using var dataSource = new MySqlDataSource(
            server.ConnectionString + string.Create(CultureInfo.InvariantCulture, $";Database={Database};SslMode=None;Maximum Pool Size={poolSize}"));
        var driver = new DriverLoad(dataSource, TableSize);
        await using var noResetDataSource = new MySqlDataSource(
            server.ConnectionString + string.Create(CultureInfo.InvariantCulture, $";Database={Database};SslMode=None;Maximum Pool Size={poolSize};Connection Reset=false"));
        var noResetDriver = new DriverLoad(noResetDataSource, TableSize);

        var clients = new Func<int, Task<LoadResult>>[]
        {
            w => driver.RunAsync(w, duration, holdConnection: false, LoadClients.ShardKitPooled),
            w => noResetDriver.RunAsync(w, duration, holdConnection: false, LoadClients.ShardKitPooledNoReset),
            w => driver.RunAsync(w, duration, holdConnection: true, LoadClients.ShardKitHeld),
            w => sysbench.RunAsync(w, duration, prepared: false, LoadClients.SysbenchText),
            w => sysbench.RunAsync(w, duration, prepared: true, LoadClients.SysbenchPrepared),
        };
        var results = new List<LoadResult>();
        foreach (var workers in options.Workers)
        {
            var rounds = new List<LoadResult>();
            for (var round = 0; round < options.Rounds; round++)
            {
                await progress.WriteLineAsync($"{workers} worker(s), round {round + 1} of {options.Rounds}, {options.Seconds} s per client...");
                for (var i = 0; i < clients.Length; i++)
                {
                    rounds.Add(await clients[(i + round) % clients.Length](workers));
                }
            }

            results.AddRange(rounds.GroupBy(r => r.Client).Select(Median));
        }
        var loadAfter = MachineInfo.LoadAverage();
        if (options.Json)
        {
            await Console.Out.WriteLineAsync(ToJson(options, machine, serverVersion, loadBefore, loadAfter, results));
        }
        else
        {
            await Console.Out.WriteAsync(ToMarkdown(options, machine, serverVersion, loadBefore, loadAfter, results));
        }

        return 0;
    }

    /// <summary>The round with the median throughput (the lower middle one for an even count), carrying every round's figure.</summary>
    private static LoadResult Median(IEnumerable<LoadResult> rounds)
    {
        var inOrder = rounds.ToList();
        var sorted = inOrder.OrderBy(r => r.QueriesPerSecond).ToList();
        return sorted[(sorted.Count - 1) / 2] with { RoundQueriesPerSecond = [.. inOrder.Select(r => r.QueriesPerSecond)] };
    }

    private static double Ratio(IEnumerable<LoadResult> results, LoadResult result, string reference) =>
        result.QueriesPerSecond / results.Single(r => r.Workers == result.Workers && r.Client == reference).QueriesPerSecond;

    private static string ToMarkdown(LoadOptions options, MachineInfo machine, string serverVersion, string loadBefore, string loadAfter, List<LoadResult> results)
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"Machine: {machine.CpuModel}, {machine.LogicalCpus} logical CPUs, {machine.Memory}; {machine.Os}; {machine.Runtime}");
        text.AppendLine(c, $"Server: MariaDB {serverVersion} (local, TLS off), sbtest1 with {TableSize:N0} rows; {options.Seconds} s per client, {options.Rounds} round(s) per worker count in rotated order; each row is the client's median round");
        text.AppendLine(c, $"Load average (1/5/15 min): {loadBefore} before, {loadAfter} after");
        text.AppendLine();
        text.AppendLine("| Workers | Client | Queries/s | vs sysbench text | vs sysbench prepared | p50 ms | p99 ms | Allocated B/query | Queries/s per round |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var allocated = r.AllocatedBytesPerQuery is { } bytes ? bytes.ToString("N0", c) : "";
            text.AppendLine(c,
                $"| {r.Workers} | {r.Client} | {r.QueriesPerSecond:N0} | {Ratio(results, r, LoadClients.SysbenchText):0.00}× | {Ratio(results, r, LoadClients.SysbenchPrepared):0.00}× | {r.P50Milliseconds:0.000} | {r.P99Milliseconds:0.000} | {allocated} | {string.Join(", ", (r.RoundQueriesPerSecond ?? []).Select(q => q.ToString("N0", c)))} |");
        }

        var largest = options.Workers.Max();
        text.AppendLine();
        foreach (var client in new[] { LoadClients.ShardKitPooled, LoadClients.ShardKitPooledNoReset, LoadClients.ShardKitHeld })
        {
            var r = results.Single(x => x.Workers == largest && x.Client == client);
            var ratio = Ratio(results, r, LoadClients.SysbenchText);
            text.AppendLine(c,
                $"At {largest} workers, {client}: {ratio:0.00}× sysbench (text protocol), {Ratio(results, r, LoadClients.SysbenchPrepared):0.00}× sysbench (prepared); target ≥ {TargetRatio:0.0}× (text): {(ratio >= TargetRatio ? "met" : "MISSED")}.");
        }

        return text.ToString();
    }

    private static string ToJson(LoadOptions options, MachineInfo machine, string serverVersion, string loadBefore, string loadAfter, List<LoadResult> results) =>
        JsonSerializer.Serialize(
            new
            {
                machine,
                serverVersion,
                tableSize = TableSize,
                secondsPerRun = options.Seconds,
                rounds = options.Rounds,
                loadAverageBefore = loadBefore,
                loadAverageAfter = loadAfter,
                targetRatio = TargetRatio,
                runs = results.Select(r => new
                {
                    workers = r.Workers,
                    client = r.Client,
                    queries = r.Queries,
                    seconds = r.Seconds,
                    queriesPerSecond = r.QueriesPerSecond,
                    ratioToSysbenchText = Ratio(results, r, LoadClients.SysbenchText),
                    ratioToSysbenchPrepared = Ratio(results, r, LoadClients.SysbenchPrepared),
                    p50Milliseconds = r.P50Milliseconds,
                    p99Milliseconds = r.P99Milliseconds,
                    allocatedBytesPerQuery = r.AllocatedBytesPerQuery,
                    roundQueriesPerSecond = r.RoundQueriesPerSecond,
                }),
            },
            s_json);

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Load;

/// <summary>
/// Runs <c>sysbench oltp_point_select</c> against a server: <c>prepare</c> once, then <c>run</c> per worker count with one
/// point select per event (<c>--point-selects=1</c>, so an event's latency is one query's) and uniformly random ids
/// (<c>--rand-type=uniform</c>, like the ShardKit workers).
/// </summary>
internal sealed partial class Sysbench(MariaDbServer server, string database, int tableSize)
{
    public const string Executable = "/usr/bin/sysbench";

    public static bool IsInstalled => File.Exists(Executable);

    public Task PrepareAsync() => RunProcessAsync(["oltp_point_select", .. CommonArguments(), "prepare"]);

    public async Task<LoadResult> RunAsync(int threads, TimeSpan duration, bool prepared, string client)
    {
        string[] arguments =
        [
            "oltp_point_select", .. CommonArguments(),
            $"--threads={threads}", $"--time={(int)duration.TotalSeconds}", "--events=0",
            "--point-selects=1", "--rand-type=uniform", "--percentile=99", "--histogram=on", "--report-interval=0",
            $"--db-ps-mode={(prepared ? "auto" : "disable")}",
            "run",
        ];
        var output = await RunProcessAsync(arguments);
        return Parse(output, client, threads);
    }

    /// <summary>Reads the query count, total time and latency histogram from sysbench's report.</summary>
    internal static LoadResult Parse(string output, string client, int threads)
    {
        var queries = QueriesLine().Match(output);
        if (!queries.Success)
        {
            throw new InvalidOperationException("Could not find the query count in sysbench's output:\n" + output);
        }

        var count = long.Parse(queries.Groups[1].Value, CultureInfo.InvariantCulture);
        var perSecond = double.Parse(queries.Groups[2].Value, CultureInfo.InvariantCulture);

        var buckets = new List<(double Milliseconds, long Count)>();
        foreach (Match line in HistogramLine().Matches(output))
        {
            buckets.Add((double.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture)));
        }

        var total = buckets.Sum(b => b.Count);
        double Percentile(double p)
        {
            var target = (long)Math.Ceiling(total * p / 100);
            long seen = 0;
            foreach (var (milliseconds, count) in buckets)
            {
                seen += count;
                if (seen >= target)
                {
                    return milliseconds;
                }
            }

            return double.NaN;
        }

        return new LoadResult(
            client,
            threads,
            count,
            perSecond > 0 ? count / perSecond : double.NaN,
            total == 0 ? double.NaN : Percentile(50),
            total == 0 ? double.NaN : Percentile(99),
            AllocatedBytesPerQuery: null);
    }

    private string[] CommonArguments() =>
    [
        $"--mysql-host={server.Host}",
        $"--mysql-port={server.Port}",
        $"--mysql-user={server.User}",
        $"--mysql-password={server.Password}",
        $"--mysql-db={database}",
        "--tables=1",
        $"--table-size={tableSize}",
    ];

    private async Task<string> RunProcessAsync(string[] arguments)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + Executable);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var output = await stdout;
        var errors = await stderr;
        if (process.ExitCode != 0)
        {
            // The arguments carry the password: name the command only by its verb.
            throw new InvalidOperationException($"sysbench {arguments[^1]} exited with {process.ExitCode}:\n{errors}\n{output}".Replace(server.Password, "***", StringComparison.Ordinal));
        }

        return output;
    }

    [GeneratedRegex(@"^\s*queries:\s+(\d+)\s+\(([0-9.]+) per sec\.\)", RegexOptions.Multiline)]
    private static partial Regex QueriesLine();

    [GeneratedRegex(@"^\s*([0-9]+\.[0-9]+)\s+\|\**\s+(\d+)\s*$", RegexOptions.Multiline)]
    private static partial Regex HistogramLine();
}

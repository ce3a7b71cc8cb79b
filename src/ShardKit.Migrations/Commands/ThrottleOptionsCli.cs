using System.CommandLine;
using ShardKit.Migrations.Migration.Throttling;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// The copy throttle's options, the same on every command that copies (<c>migrate backfill</c>, <c>move-shard</c> and its
/// <c>resume</c>): <c>--rows-per-second</c>, <c>--max-threads-running</c>, <c>--max-replica-lag</c> and
/// <c>--max-writer-p99-ms</c> (also accepted as <c>--max-app-latency-ms</c>, its earlier name on <c>migrate</c>).
/// </summary>
internal static class ThrottleOptionsCli
{
    public const string RowsPerSecond = "--rows-per-second";
    public const string MaxThreadsRunning = "--max-threads-running";
    public const string MaxReplicaLag = "--max-replica-lag";
    public const string MaxWriterP99 = "--max-writer-p99-ms";

    private static readonly CopyThrottleOptions s_defaults = new();

    /// <summary>New instances of the four options (each command needs its own).</summary>
    public static Option[] Create()
    {
        var rate = new Option<int>(RowsPerSecond) { Description = "Copy at most this many rows per second (0: no limit).", DefaultValueFactory = _ => s_defaults.RowsPerSecond };
        Cli.RequireNonNegative(rate);
        var threads = new Option<int>(MaxThreadsRunning)
        {
            Description = $"Pause the copy while a primary it reads or writes runs more threads (Threads_running) than this (1-{CopyThrottleOptions.MaxThreadsRunningLimit}).",
            DefaultValueFactory = _ => s_defaults.MaxThreadsRunning ?? 32,
        };
        Cli.RequireRange(threads, 1, CopyThrottleOptions.MaxThreadsRunningLimit);
        var lag = new Option<double>(MaxReplicaLag)
        {
            Description = "Pause the copy while a replica of a cluster it reads or writes lags more than this many seconds (0-86400).",
            DefaultValueFactory = _ => (s_defaults.MaxReplicaLag ?? TimeSpan.FromSeconds(5)).TotalSeconds,
        };
        Cli.RequireNonNegative(lag, CopyThrottleOptions.MaxReplicaLagLimit.TotalSeconds);
        var p99 = new Option<int>(MaxWriterP99, "--max-app-latency-ms")
        {
            Description = "Pause the copy while a running writer reports a 99th-percentile latency above this many milliseconds (0-60000; 0: not checked).",
            DefaultValueFactory = _ => 0,
        };
        Cli.RequireRange(p99, 0, (int)CopyThrottleOptions.MaxWriterP99Limit.TotalMilliseconds);
        return [rate, threads, lag, p99];
    }

    /// <summary>
    /// The throttle's options from a command line; an option the command does not have keeps its default. The rows-per-second
    /// cap is the command's: with <paramref name="sharedBy"/> copies at once (<c>--parallel</c>), each gets its share.
    /// </summary>
    public static CopyThrottleOptions Read(ParseResult parseResult, IReadOnlyList<Option> present, int sharedBy = 1)
    {
        bool Has(string name) => present.Any(o => o.Name == name);
        return new CopyThrottleOptions
        {
            RowsPerSecond = Has(RowsPerSecond) ? Share(parseResult.GetValue<int>(RowsPerSecond), sharedBy) : s_defaults.RowsPerSecond,
            MaxThreadsRunning = Has(MaxThreadsRunning) ? parseResult.GetValue<int>(MaxThreadsRunning) : s_defaults.MaxThreadsRunning,
            MaxReplicaLag = Has(MaxReplicaLag) ? TimeSpan.FromSeconds(parseResult.GetValue<double>(MaxReplicaLag)) : s_defaults.MaxReplicaLag,
            MaxWriterP99 = Has(MaxWriterP99) && parseResult.GetValue<int>(MaxWriterP99) is > 0 and var ms ? TimeSpan.FromMilliseconds(ms) : s_defaults.MaxWriterP99,
        };
    }

    /// <summary>A cap of 0 stays no cap; otherwise each of <paramref name="ways"/> copies gets at least 1 row/s.</summary>
    private static int Share(int cap, int ways) => cap == 0 ? 0 : Math.Max(1, cap / Math.Max(1, ways));
}

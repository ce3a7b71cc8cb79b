using System.Globalization;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// CPU seconds (user + system) of processes, from <c>/proc/&lt;pid&gt;/stat</c>: on a machine with few cores the copy is
/// CPU-bound, so where its CPU goes (the client, the legacy server, each cluster's server) says more than wall times.
/// </summary>
internal sealed class CpuTimes
{
    private readonly (string Name, int Pid, bool Children)[] _processes;
    private readonly double[] _start;

    private CpuTimes((string Name, int Pid, bool Children)[] processes)
    {
        _processes = processes;
        _start = processes.Select(p => Read(p.Pid, p.Children)).ToArray();
    }

    /// <summary>Starts counting for <paramref name="processes"/> (with <c>Children</c>, the CPU of waited-for child processes too).</summary>
    public static CpuTimes Start(params (string Name, int? Pid, bool Children)[] processes) =>
        new(processes.Where(p => p.Pid is not null).Select(p => (p.Name, p.Pid!.Value, p.Children)).ToArray());

    /// <summary>CPU seconds of each process since the start, e.g. <c>client 3.1 s, legacy 1.2 s, c0 2.0 s</c>.</summary>
    public string Stop() =>
        string.Join(", ", _processes.Select((p, i) => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {Read(p.Pid, p.Children) - _start[i]:F1} s")));

    /// <summary>
    /// Waits until every one of <paramref name="pids"/> used less than 5 % of a core over one second (a server's purge and
    /// page flushing after a large write, which would slow whatever runs next), at most <paramref name="limit"/>; returns the
    /// time waited and whether they went quiet.
    /// </summary>
    public static async Task<(TimeSpan Waited, bool Quiet)> SettleAsync(IReadOnlyList<int> pids, TimeSpan limit, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var before = pids.Select(p => Read(p, children: false)).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            if (pids.Select((p, i) => Read(p, children: false) - before[i]).All(used => used < 0.05))
            {
                return (clock.Elapsed, true);
            }

            if (clock.Elapsed >= limit)
            {
                return (clock.Elapsed, false);
            }
        }
    }

    private static double Read(int pid, bool children)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // Fields 14-17 of stat (utime, stime, cutime, cstime), counted from the state (field 3) at index 0.
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            if (children)
            {
                ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }

            return ticks / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

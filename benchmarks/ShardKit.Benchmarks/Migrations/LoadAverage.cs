using System.Globalization;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>The machine's load average (1, 5 and 15 minutes, as <c>uptime</c> prints it), recorded with every figure.</summary>
internal static class LoadAverage
{
    public static string Read()
    {
        var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(' ', fields.Take(3));
    }

    /// <summary>The 1-minute figure of a <see cref="Read"/> result.</summary>
    public static double OneMinute(string load) => double.Parse(load.Split(' ')[0], CultureInfo.InvariantCulture);
}

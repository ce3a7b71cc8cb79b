using System.Globalization;
using System.Runtime.InteropServices;

namespace ShardKit.Benchmarks.Load;

/// <summary>What the figures were measured on: CPU model, logical CPUs, memory, load average (Linux /proc).</summary>
internal sealed record MachineInfo(string CpuModel, int LogicalCpus, string Memory, string Runtime, string Os)
{
    public static MachineInfo Current()
    {
        var model = ReadProcLine("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memory = ReadProcLine("/proc/meminfo", "MemTotal") is { } total
            && long.TryParse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kib)
            ? string.Create(CultureInfo.InvariantCulture, $"{kib / 1024.0 / 1024.0:0.0} GiB")
            : "unknown";
        return new MachineInfo(model, Environment.ProcessorCount, memory, RuntimeInformation.FrameworkDescription, RuntimeInformation.OSDescription);
    }

    /// <summary>The 1, 5 and 15 minute load averages, as the kernel prints them.</summary>
    public static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(' ', fields.Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string? ReadProcLine(string path, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }
}

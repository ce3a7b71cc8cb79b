using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>A run's timestamped log of what was done to it, and the <c>shardkit &lt;command&gt;</c> processes it started (killed when disposed).</summary>
internal sealed class CliRunRecord(string command, string configPath) : IAsyncDisposable
{
    private readonly StringBuilder _log = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<CliProcess> _processes = [];

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public void Write(string line)
    {
        lock (_log)
        {
            _log.AppendLine(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,7:0.000}s {line}");
        }
    }

    /// <summary>Starts <c>shardkit &lt;command&gt; &lt;args&gt; --config ...</c>.</summary>
    public CliProcess Start(string[] args)
    {
        var cli = CliProcess.Start([command, .. args, "--config", configPath]);
        lock (_processes)
        {
            _processes.Add(cli);
        }

        return cli;
    }

    public async ValueTask DisposeAsync()
    {
        List<CliProcess> processes;
        lock (_processes)
        {
            processes = [.. _processes];
        }

        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }
    }
}

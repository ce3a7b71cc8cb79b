using System.Diagnostics;
using System.Globalization;

namespace ShardKit.Testing.Internal;

/// <summary>
/// Each topology directory records the process that owns it. Directories whose owner no longer runs (an aborted
/// test run, a killed <c>shardkit dev up</c>) are cleaned at the next start: their servers are killed, their data removed.
/// </summary>
internal static class StaleTopologies
{
    public const string OwnerFileName = "owner";
    public const string ServerPidFileName = "mariadbd.pid";

    public static string WriteOwner(string topologyDirectory)
    {
        using var self = Process.GetCurrentProcess();
        var owner = string.Create(CultureInfo.InvariantCulture, $"{self.Id} {ProcessStartTicks(self.Id)}");
        // Written aside and renamed into place: a concurrent CleanStale that read the owner file while WriteAllText had
        // truncated it but not yet written it took the live topology for stale and deleted it.
        var written = Path.Combine(topologyDirectory, OwnerFileName + ".new");
        File.WriteAllText(written, owner);
        File.Move(written, Path.Combine(topologyDirectory, OwnerFileName), overwrite: true);
        return owner;
    }

    public static int CleanStale(string baseDirectory)
    {
        if (!Directory.Exists(baseDirectory))
        {
            return 0;
        }

        var cleaned = 0;
        foreach (var directory in Directory.EnumerateDirectories(baseDirectory))
        {
            try
            {
                if (IsOwnerAlive(directory))
                {
                    continue;
                }

                foreach (var pidFile in Directory.EnumerateFiles(directory, ServerPidFileName, SearchOption.AllDirectories))
                {
                    KillServer(pidFile);
                }
            }
            catch (IOException ex) when (ex is DirectoryNotFoundException or FileNotFoundException)
            {
                // Being deleted right now by its owner (a topology disposed concurrently, in this process or another):
                // its owner file may already be gone, so it looked stale, but there is nothing left to clean.
                continue;
            }

            TryDelete(directory);
            cleaned++;
        }

        return cleaned;
    }

    public static void KillServer(string pidFile)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
        {
            return;
        }

        // Only kill the process if it still is the server of this data directory (pids are reused).
        var dataDirectory = Path.GetDirectoryName(pidFile)!;
        var commandLine = ReadCommandLine(pid);
        if (commandLine is null || !commandLine.Contains(dataDirectory, StringComparison.Ordinal))
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(10_000);
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    public static void TryDelete(string directory)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }

                return;
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    private static bool IsOwnerAlive(string directory)
    {
        var ownerFile = Path.Combine(directory, OwnerFileName);
        if (!File.Exists(ownerFile))
        {
            // Being created right now by another process, or not ours: leave directories younger than a minute alone.
            return Directory.GetCreationTimeUtc(directory) > DateTime.UtcNow.AddMinutes(-1);
        }

        var parts = File.ReadAllText(ownerFile).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || !int.TryParse(parts[0], out var pid))
        {
            return false;
        }

        return ProcessStartTicks(pid) == parts[1];
    }

    private static string ProcessStartTicks(int pid)
    {
        // Field 22 of /proc/<pid>/stat is the start time: together with the pid it names one process for good.
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return afterName[19];
        }
        catch (IOException)
        {
            return "gone";
        }
        catch (UnauthorizedAccessException)
        {
            return "gone";
        }
    }

    private static string? ReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

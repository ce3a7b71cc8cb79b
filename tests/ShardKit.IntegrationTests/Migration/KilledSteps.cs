using System.Globalization;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>Runs a CLI command, SIGKILLs it at kill points it reaches, and resumes it.</summary>
internal static class KilledSteps
{
    /// <summary>The seeds to run: SHARDKIT_KILL_SEEDS (comma-separated) for a longer soak, two fixed ones by default.</summary>
    public static int[] Seeds() =>
        Environment.GetEnvironmentVariable("SHARDKIT_KILL_SEEDS") is { Length: > 0 } seeds
            ? seeds.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : [1, 2];

    /// <summary>
    /// Runs <paramref name="command"/>; at each kill point (the first on the command, the next on its <c>resume</c>) waits for
    /// it, SIGKILLs the process and starts <c>resume</c> (or what <paramref name="recovery"/> says after the kill). The last process
    /// runs to its end and must exit with one of <paramref name="allowedExits"/> (default 0). Returns the number of kills.
    /// </summary>
    public static async Task<int> RunAsync<TProgress>(
        ICliRun run, Func<Task<TProgress>> progress, string[] command, IReadOnlyList<KillPoint<TProgress>> points, int[]? allowedExits = null, Func<Task<string[]>>? recovery = null)
    {
        allowedExits ??= [0];
        var args = command;
        var kills = 0;
        foreach (var point in points)
        {
            var cli = run.StartCli(args);
            var reached = await WaitForAsync(run, cli, progress, point);
            if (reached is not null)
            {
                await Task.Delay(point.DelayMs);
            }

            if (reached is not null && await cli.KillAsync())
            {
                kills++;
                run.Write($"SIGKILL `{cli.CommandLine}` {point.Description} + {point.DelayMs} ms (saw {reached}); after the kill: {await progress()}");
                args = recovery is null ? ["resume"] : await recovery();
                continue;
            }

            var exit = await cli.WaitForExitAsync(MigrationFaultRun.CommandTimeout);
            run.Write($"`{cli.CommandLine}` exited {exit} before the kill point ({point.Description})");
            Assert.True(allowedExits.Contains(exit), $"{run.Name}: `{cli.CommandLine}` exited {exit}: {cli.Error} {cli.Output}\n--- log\n{run.Log}");
            return kills;
        }

        var last = run.StartCli(args);
        var code = await last.WaitForExitAsync(MigrationFaultRun.CommandTimeout);
        run.Write($"`{last.CommandLine}` exited {code}{(code == 0 ? "" : ": " + MigrationFaultRun.LastLines(last.Error + last.Output))}");
        Assert.True(allowedExits.Contains(code), $"{run.Name}: `{last.CommandLine}` exited {code}: {last.Error} {last.Output}\n--- log\n{run.Log}");
        return kills;
    }

    /// <summary>Polls <paramref name="progress"/> until <paramref name="point"/> is reached (returns what it saw) or the process exits (null).</summary>
    private static async Task<TProgress?> WaitForAsync<TProgress>(ICliRun run, CliProcess cli, Func<Task<TProgress>> progress, KillPoint<TProgress> point)
    {
        var deadline = DateTime.UtcNow + MigrationFaultRun.CommandTimeout;
        while (!cli.HasExited)
        {
            var seen = await progress();
            if (point.When(seen))
            {
                return seen;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{run.Name}: `{cli.CommandLine}` did not reach the kill point ({point.Description}) within {MigrationFaultRun.CommandTimeout.TotalSeconds:0} s; last {seen}");
            await Task.Delay(5);
        }

        return default;
    }
}

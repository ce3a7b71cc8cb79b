using ShardKit.Migrations.Commands;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// The baseline: <c>mariadb-dump --single-transaction legacy orders order_items | mariadb</c> into a scratch schema on a cluster
/// primary (no live writes, one server, no ID mapping, one dimension), timed from the start of the pipe to its exit.
/// </summary>
internal static class DumpReload
{
    /// <summary>CPU seconds of the last run: the dump and reload clients (and this process), the legacy server, the target server.</summary>
    public static string Cpu { get; private set; } = "";

    public static async Task<Measured> MeasureAsync(MariaDbServer legacy, MariaDbServer target, long orders, CancellationToken cancellationToken)
    {
        var before = LoadAverage.Read();
        var cpu = CpuTimes.Start(("mariadb-dump and mariadb", Environment.ProcessId, true), ("legacy", legacy.ProcessId, false), ("target", target.ProcessId, false));
        var (seconds, reloaded) = await MigrationDemo.DumpReloadAsync(legacy, target, cancellationToken);
        var after = LoadAverage.Read();
        Cpu = cpu.Stop();

        // After a migration with live writes the legacy tables also hold the orders the application wrote before its bucket moved.
        return reloaded >= orders
            ? new Measured(seconds, reloaded, before, after)
            : throw new InvalidOperationException($"mariadb-dump | mariadb reloaded {reloaded} orders, expected at least {orders}.");
    }
}

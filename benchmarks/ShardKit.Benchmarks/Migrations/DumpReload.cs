using System.Diagnostics;
using ShardKit.Migrations.Migration;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// The baseline: <c>mariadb-dump --single-transaction legacy orders order_items | mariadb</c> into a scratch schema on a cluster
/// primary (no live writes, one server, no ID mapping, one dimension), timed from the start of the pipe to its exit.
/// </summary>
internal static class DumpReload
{
    public static async Task<Measured> MeasureAsync(MariaDbServer legacy, MariaDbServer target, long orders, CancellationToken cancellationToken)
    {
        await target.ExecuteAsync("DROP DATABASE IF EXISTS dump_reload; CREATE DATABASE dump_reload;", cancellationToken);
        var before = LoadAverage.Read();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(new ProcessStartInfo("bash")
        {
            ArgumentList =
            {
                "-c",
                $"set -o pipefail; mariadb-dump --no-defaults --socket='{legacy.SocketPath}' -uroot --single-transaction {LegacySeed.Database} orders order_items | mariadb --no-defaults --socket='{target.SocketPath}' -uroot dump_reload",
            },
            RedirectStandardError = true,
        })!;
        var error = await process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        var after = LoadAverage.Read();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("mariadb-dump | mariadb failed: " + error.Trim());
        }

        var reloaded = long.Parse((await target.QueryScalarAsync("SELECT COUNT(*) FROM dump_reload.orders", cancellationToken))!, System.Globalization.CultureInfo.InvariantCulture);
        await target.ExecuteAsync("DROP DATABASE dump_reload;", cancellationToken);

        // After a migration with live writes the legacy tables also hold the orders the application wrote before its bucket moved.
        return reloaded >= orders
            ? new Measured(seconds, reloaded, before, after)
            : throw new InvalidOperationException($"mariadb-dump | mariadb reloaded {reloaded} orders, expected at least {orders}.");
    }
}

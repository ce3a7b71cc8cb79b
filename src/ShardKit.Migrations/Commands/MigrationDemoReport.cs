using System.Globalization;

namespace ShardKit.Migrations.Commands;

/// <summary>What the live migration demo measured and checked.</summary>
internal sealed record MigrationDemoReport(
    int LegacyOrders,
    int Buckets,
    double BackfillSeconds,
    double BackfillRowsPerSecond,
    double? DumpReloadSeconds,
    double? DumpReloadRowsPerSecond,
    int ChunkSize,
    double PauseP50Ms,
    double PauseP99Ms,
    double PauseMaxMs,
    long Operations,
    long ApplicationErrors,
    int Lost,
    int Resurrected,
    int Different,
    bool BucketsEqual,
    bool DimensionsEqual)
{
    /// <summary>Whether nothing was lost, duplicated or resurrected and no error reached the application.</summary>
    public bool Succeeded => ApplicationErrors == 0 && Lost == 0 && Resurrected == 0 && Different == 0 && BucketsEqual && DimensionsEqual;

    public void Write(TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"live migration: {LegacyOrders} legacy orders → {Buckets} buckets × 2 dimensions, {Operations} application operations during it"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  backfill with live writes: {BackfillSeconds:0.0} s, {BackfillRowsPerSecond:0} rows/s")
            + (DumpReloadSeconds is { } dump ? string.Create(CultureInfo.InvariantCulture, $" (mariadb-dump | mariadb of the same data: {dump:0.0} s, {DumpReloadRowsPerSecond:0} rows/s, no writes, one server)") : ""));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  backfill chunks of {ChunkSize} rows, read without locks (writers never wait for the copy; the capture triggers log what they change)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  pause per bucket at cutover: p50 {PauseP50Ms:0.0} ms, p99 {PauseP99Ms:0.0} ms, max {PauseMaxMs:0.0} ms (target p99 < 1000 ms)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  application errors: {ApplicationErrors}; lost {Lost}, resurrected {Resurrected}, different {Different}; buckets equal: {BucketsEqual}; dimensions equal: {DimensionsEqual}"));
        output.WriteLine(Succeeded ? "  result: OK" : "  result: FAILED");
    }
}

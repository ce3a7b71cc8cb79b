namespace ShardKit.Benchmarks.Load;

/// <summary>One measured run of one client at one worker count.</summary>
/// <param name="Client">Which client ran (see <see cref="LoadClients"/>).</param>
/// <param name="Workers">Concurrent workers (sysbench threads).</param>
/// <param name="Queries">Point selects completed in the measured window.</param>
/// <param name="Seconds">Length of the measured window.</param>
/// <param name="P50Milliseconds">Median latency of one point select.</param>
/// <param name="P99Milliseconds">99th percentile latency of one point select.</param>
/// <param name="AllocatedBytesPerQuery">Bytes allocated in the process per point select (ShardKit runs only).</param>
/// <param name="RoundQueriesPerSecond">With several rounds: the throughput of every round, in run order; this record is the median round.</param>
internal sealed record LoadResult(
    string Client,
    int Workers,
    long Queries,
    double Seconds,
    double P50Milliseconds,
    double P99Milliseconds,
    double? AllocatedBytesPerQuery,
    IReadOnlyList<double>? RoundQueriesPerSecond = null)
{
    public double QueriesPerSecond => Queries / Seconds;
}

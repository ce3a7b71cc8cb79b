using ShardKit.Migrations.Migration.Throttling;

namespace ShardKit.Tests.Fakes;

/// <summary>A copy load the test sets, and how often each figure was read.</summary>
internal sealed class FakeCopyLoadProbe : ICopyLoadProbe
{
    private int _lagReads;
    private int _threadReads;
    private int _p99Reads;

    public TimeSpan Lag { get; set; }

    public long ThreadsRunning { get; set; } = 1;

    public TimeSpan? WriterP99 { get; set; }

    public int LagReads => Volatile.Read(ref _lagReads);

    public int ThreadReads => Volatile.Read(ref _threadReads);

    public int P99Reads => Volatile.Read(ref _p99Reads);

    public Task<(TimeSpan Lag, string? Where)> MaxReplicaLagAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lagReads);
        return Task.FromResult<(TimeSpan, string?)>((Lag, "r1 of cluster c1"));
    }

    public Task<(long Threads, string? Where)> MaxThreadsRunningAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _threadReads);
        return Task.FromResult<(long, string?)>((ThreadsRunning, "the primary of cluster c0"));
    }

    public Task<TimeSpan?> WriterP99Async(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _p99Reads);
        return Task.FromResult(WriterP99);
    }
}

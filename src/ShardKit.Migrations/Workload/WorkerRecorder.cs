namespace ShardKit.Migrations.Workload;

/// <summary>The latencies (Stopwatch ticks) and error counts of one workload loop; merged after the run.</summary>
internal sealed class WorkerRecorder
{
    private static readonly int s_operations = Enum.GetValues<WorkloadOperation>().Length;
    private readonly List<long>[] _latencies = Enumerable.Range(0, s_operations).Select(_ => new List<long>()).ToArray();
    private readonly long[] _errors = new long[s_operations];

    public void Record(WorkloadOperation operation, long elapsedTicks) => _latencies[(int)operation].Add(elapsedTicks);

    public void Fail(WorkloadOperation operation) => _errors[(int)operation]++;

    public IReadOnlyList<long> Latencies(WorkloadOperation operation) => _latencies[(int)operation];

    public long Errors(WorkloadOperation operation) => _errors[(int)operation];
}

namespace ShardKit.Migrations.Workload;

/// <summary>How long and how hard the order workload runs.</summary>
internal sealed class WorkloadOptions
{
    /// <summary>How long new operations are started.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many operations run at once (one loop each).</summary>
    public int Concurrency { get; init; } = 8;

    /// <summary>
    /// The share of operations that read (0 to 1), split evenly between get-by-ID, list-by-user and list-by-merchant; the rest create orders.
    /// Until the first order exists every operation creates.
    /// </summary>
    public double ReadRatio { get; init; } = 0.5;

    /// <summary>User IDs are drawn from 1 to this.</summary>
    public long Users { get; init; } = 1_000_000;

    /// <summary>Merchant IDs are drawn from 1 to this.</summary>
    public long Merchants { get; init; } = 10_000;

    /// <summary>The <c>limit</c> of list-by-user.</summary>
    public int ListLimit { get; init; } = 10;
}

namespace ShardKit.Migrations.Migration;

/// <summary>
/// One row of <c>shardkit_control.units</c>: a unit of a job (a logical shard) with what every job records, then each job's own
/// figures (null in the other job's rows).
/// </summary>
internal sealed class UnitRow
{
    public string Dimension { get; init; } = "";

    public int Shard { get; init; }

    /// <summary>The job's own state name (<c>BucketState</c> of the import, <c>ShardMoveState</c> of a move).</summary>
    public string State { get; init; } = "";

    public int Epoch { get; init; }

    public double? PauseMs { get; init; }

    public string? LastError { get; init; }

    /// <summary>The interrupted command working on the unit (a move's; the import records its command per job).</summary>
    public string? Command { get; init; }

    /// <summary>The import's figures: the bucket's orders on each side at its last verification, and when it was found equal.</summary>
    public long? SourceRows { get; init; }

    public long? TargetRows { get; init; }

    public DateTime? VerifiedAt { get; init; }

    /// <summary>A move's clusters, copy checkpoint (JSON) and figures.</summary>
    public string? FromCluster { get; init; }

    public string? ToCluster { get; init; }

    public string? Cursors { get; init; }

    public bool? CopyDone { get; init; }

    public long? RowsCopied { get; init; }

    public long? Changes { get; init; }
}

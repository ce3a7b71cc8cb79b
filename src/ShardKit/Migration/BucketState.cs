namespace ShardKit.Migration;

/// <summary>The migration state of one bucket (one logical user shard), as the control schema records it.</summary>
internal enum BucketState
{
    /// <summary>Mapping computed, schemas and fences created; writers do not log changes yet.</summary>
    Plan,

    /// <summary>Writers log every change of the bucket in their own transaction.</summary>
    Capture,

    /// <summary>History is being copied.</summary>
    Backfill,

    /// <summary>History copied; logged changes are being applied. The source is authoritative.</summary>
    Catchup,

    /// <summary>The last verification found the bucket equal on both sides.</summary>
    Verify,

    /// <summary>The fence is frozen: drain, verify, switch (transient; a crash here is finished by the next cutover or resume).</summary>
    Cutover,

    /// <summary>The target is authoritative (its epoch recorded); its changes are logged for the reverse flow.</summary>
    Moved,

    /// <summary>A rollback is switching the bucket back (transient).</summary>
    Reverse,

    /// <summary>The migration is complete: fences and change tables are gone, the target is the only side.</summary>
    Complete,
}

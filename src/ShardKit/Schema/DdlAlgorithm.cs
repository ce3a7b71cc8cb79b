namespace ShardKit.Schema;

/// <summary>How a statement ran (or is to run) on a shard under the online rules (<see cref="OnlineDdl"/>).</summary>
internal enum DdlAlgorithm
{
    /// <summary>As written: not a table change, or the statement names its own <c>ALGORITHM</c>/<c>LOCK</c>.</summary>
    AsWritten,

    /// <summary>With <c>ALGORITHM=INSTANT</c>: a metadata change only.</summary>
    Instant,

    /// <summary>With <c>ALGORITHM=INPLACE, LOCK=NONE</c>: rebuilt in place while writes continue.</summary>
    InplaceNoLock,

    /// <summary>As written although the server would copy the table or block writes (blocking DDL allowed).</summary>
    Blocking,
}

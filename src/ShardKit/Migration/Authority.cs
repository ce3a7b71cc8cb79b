namespace ShardKit.Migration;

/// <summary>Which side of a migration accepts a bucket's writes.</summary>
internal enum Authority
{
    /// <summary>The old side: the legacy database (or the shard's old cluster).</summary>
    Source,

    /// <summary>The new side: the bucket's user shard.</summary>
    Target,
}

namespace ShardKit.Migration;

/// <summary>
/// A shard schema's fence row (<see cref="ShardFence"/>): whether this copy serves the application's writes, who serves them
/// otherwise (<see cref="ShardFenceSignal.Legacy"/> or <see cref="ShardFenceSignal.ServedByCluster"/>; null while this copy
/// serves), whether the application's writes here are logged to the change table, and the epoch (raised by one at every
/// switch).
/// </summary>
internal readonly record struct ShardFenceRow(bool Serves, string? ServedBy, bool Capture, int Epoch)
{
    /// <summary>This copy serves the writes and logs them.</summary>
    public static ShardFenceRow Serving(int epoch) => new(true, null, true, epoch);

    /// <summary>This copy refuses the application's writes: <paramref name="servedBy"/> serves them.</summary>
    public static ShardFenceRow ServedElsewhere(string servedBy, int epoch) => new(false, servedBy, false, epoch);

    /// <summary>Whether the legacy database serves the shard's bucket (a legacy import).</summary>
    public bool ServedByLegacy => !Serves && ServedBy == ShardFenceSignal.Legacy;

    /// <summary>Whether cluster <paramref name="cluster"/> serves the shard (a move that switched away from this copy).</summary>
    public bool ServedByCluster(string cluster) =>
        !Serves && string.Equals(ServedBy, ShardFenceSignal.ServedByCluster(cluster), StringComparison.OrdinalIgnoreCase);
}

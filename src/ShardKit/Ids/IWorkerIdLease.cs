namespace ShardKit.Ids;

/// <summary>
/// A worker ID held by this process and by no other live generator instance, for as long as
/// <see cref="IsHeld"/> is <see langword="true"/>. <see cref="OrderIdGenerator"/> checks <see cref="IsHeld"/>
/// before issuing every ID and fails rather than issue an ID under a worker ID it may no longer own.
/// </summary>
public interface IWorkerIdLease
{
    /// <summary>The leased worker ID, 0..254 (255 is the legacy import's).</summary>
    int WorkerId { get; }

    /// <summary>
    /// Whether the worker ID is certainly still held at this moment. Once the lease lapses (renewal failed past
    /// its expiry, it was taken over, or it was released) this returns <see langword="false"/>. Called on every
    /// generated ID, so it must be cheap and thread-safe.
    /// </summary>
    bool IsHeld { get; }
}

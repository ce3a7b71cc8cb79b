namespace ShardKit.Migrations.Migration.Moves;

/// <summary>
/// The states of a shard move (its unit's <c>state</c> in <c>shardkit_control.units</c>): PLAN (recorded, fences and triggers being installed), COPY
/// (copying and draining; the old cluster serves the shard), CUTOVER (being switched), MOVED (the new cluster serves it; its
/// changes are captured for a rollback), REVERSE (being switched back), REVERSED (back on the old cluster), COMPLETE (cleaned up).
/// </summary>
internal enum ShardMoveState
{
    Plan,
    Copy,
    Cutover,
    Moved,
    Reverse,
    Reversed,
    Complete,
}

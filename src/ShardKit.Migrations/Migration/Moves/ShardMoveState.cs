namespace ShardKit.Migrations.Migration.Moves;

/// <summary>
/// The states of a shard move in <c>shardkit_control.shard_moves</c>: PLAN (recorded, fences and triggers being installed), COPY
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

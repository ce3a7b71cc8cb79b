namespace ShardKit.Migrations.Migration.Moves;

/// <summary>
/// A shard move the servers refuse to set up for the migrator's account (a missing grant, or <c>SUPER</c> for triggers with the
/// binary log on): the message names what was refused, on which cluster, and what to change. No resume gets past it.
/// </summary>
internal sealed class MovePrivilegeException : InvalidOperationException
{
    public MovePrivilegeException(string shard, string reason, string message)
        : base(message)
    {
        Shard = shard;
        Reason = reason;
    }

    /// <summary>The shard, <c>user:17</c>.</summary>
    public string Shard { get; }

    /// <summary>What was refused and what to change, without the shard's outcome.</summary>
    public string Reason { get; }
}

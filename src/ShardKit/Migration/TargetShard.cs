using System.Data.Common;
using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// The target side of a bucket: its user shard, with the migration's fence (one row) and change table (the keys written
/// while the target is authoritative, for the reverse flow), and the canonical form its orders are compared in. Source
/// states are written to both dimensions by <see cref="ClusterCopyWriter"/>.
/// </summary>
internal static class TargetShard
{
    /// <summary>Applied to every user shard by the plan, after the two-dimension schema.</summary>
    public const string Script = """
        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_fence` (
            id        TINYINT    NOT NULL,
            authority VARCHAR(8) NOT NULL,
            capture   TINYINT(1) NOT NULL,
            epoch     INT        NOT NULL,
            PRIMARY KEY (id)
        ) ENGINE = InnoDB;

        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_changes` (
            seq      BIGINT NOT NULL AUTO_INCREMENT,
            order_id BIGINT NOT NULL,
            PRIMARY KEY (seq)
        ) ENGINE = InnoDB;

        INSERT IGNORE INTO {schema}.`shardkit_fence` (id, authority, capture, epoch) VALUES (1, 'source', 0, 0);
        """;

    public const string FenceShared = "SELECT authority, capture, epoch FROM {schema}.`shardkit_fence` WHERE id = 1 LOCK IN SHARE MODE";
    public const string FenceExclusive = "SELECT authority, capture, epoch FROM {schema}.`shardkit_fence` WHERE id = 1 FOR UPDATE";
    public const string SetFence = "UPDATE {schema}.`shardkit_fence` SET authority = @Authority, capture = @Capture, epoch = @Epoch WHERE id = 1";
    public const string ReadChanges = "SELECT seq, order_id FROM {schema}.`shardkit_changes` ORDER BY seq LIMIT @Limit";
    public const string DeleteChanges = "DELETE FROM {schema}.`shardkit_changes` WHERE seq IN @Seqs";
    public const string CountChanges = "SELECT COUNT(*) FROM {schema}.`shardkit_changes`";
    public const string DropMigrationTables = "DROP TABLE IF EXISTS {schema}.`shardkit_changes`, {schema}.`shardkit_fence`";

    /// <summary>Reads the fence of the shard's bucket; null when the fence table or row does not exist (no migration, or it is complete).</summary>
    public static async Task<FenceState?> ReadFenceAsync(ShardConnection shard, DbTransaction transaction, bool exclusive, CancellationToken cancellationToken)
    {
        try
        {
            var row = await shard.Connection.QuerySingleOrDefaultAsync<(string Authority, bool Capture, int Epoch)?>(new CommandDefinition(
                shard.Sql(exclusive ? FenceExclusive : FenceShared), transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row is { } r ? new FenceState(FenceState.Parse(r.Authority), r.Capture, r.Epoch) : null;
        }
        catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
        {
            return null;
        }
    }
}

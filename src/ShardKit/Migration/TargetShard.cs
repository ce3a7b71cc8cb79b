using System.Data;
using System.Data.Common;
using Dapper;
using Polly;

namespace ShardKit.Migration;

/// <summary>
/// The target side of a bucket: its user shard, with the two-dimension tables and the migration's fence (one row) and
/// change table (the keys written while the target is authoritative, for the reverse flow). Applies a source state with
/// the version guard ("the copy loses" to anything as new or newer), then the merchant copy through <see cref="MerchantApplier"/>.
/// </summary>
internal static partial class TargetShard
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

    /// <summary>Count and XOR of the canonical hashes (<see cref="CanonicalRow.BuiltIn"/>) of the shard's orders.</summary>
    public static readonly string Aggregate = CanonicalRow.BuiltIn.Aggregate;

    /// <summary>Order ID, version and canonical hash of every order of the shard.</summary>
    public static readonly string Rows = CanonicalRow.BuiltIn.Rows;

    private const string DeleteItems = "DELETE FROM {order_items} WHERE order_id = @OrderId";
    private const string DeleteOrder = "DELETE FROM {orders} WHERE order_id = @OrderId";

    // A deadlock or lock wait with another applier (or a lost connection before the commit): the slice runs again.
    private static readonly ResiliencePipeline s_retry = TransientRetry.Create(attempts: 5, TimeSpan.FromMilliseconds(10), TimeProvider.System);

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

    /// <summary>
    /// Writes <paramref name="states"/> (all of this shard) into the user shard, each only where the shard holds neither the
    /// order nor its tombstone at the same or a newer version (unless <paramref name="force"/>), with an outbox entry in the
    /// same transaction; then applies the merchant copy of each order that was written, one by one through
    /// <paramref name="merchant"/> (which re-reads the user side; with <paramref name="force"/> under shared locks, as a
    /// repair needs). Returns how many were written. The drains use <see cref="ApplyChunkAsync"/>, the backfill <see cref="ClusterCopyWriter"/>.
    /// </summary>
    public static async Task<int> ApplyAsync(ShardConnection userShard, MerchantApplier merchant, IReadOnlyList<UserSideState> states, bool force, CancellationToken cancellationToken)
    {
        var written = await WriteUserSideAsync(userShard, states, force, alreadyCurrent: null, cancellationToken).ConfigureAwait(false);

        // Each merchant copy re-reads the user side on a connection of its own, so they can run side by side.
        await Parallel.ForEachAsync(written, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (state, ct) =>
            await merchant.ApplyAsync(state.Order.Id, force, ct).ConfigureAwait(false)).ConfigureAwait(false);

        return written.Count;
    }

    /// <summary>Removes an order that has no trace on the source from the user shard (repair of an extra row); the merchant copy is hidden after.</summary>
    public static async Task RemoveAsync(ShardConnection userShard, MerchantApplier merchant, OrderId orderId, CancellationToken cancellationToken)
    {
        var transaction = await userShard.Connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var id = new { OrderId = orderId.Value };
            await userShard.Connection.ExecuteAsync(new CommandDefinition(userShard.Sql(DeleteItems), id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await userShard.Connection.ExecuteAsync(new CommandDefinition(userShard.Sql(DeleteOrder), id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await merchant.ApplyAsync(userShard, orderId, force: true, cancellationToken).ConfigureAwait(false);
    }
}

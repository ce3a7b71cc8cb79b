using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// The drains' batched apply: a chunk of states costs a few round trips per touched shard, whatever the number of rows,
/// with outbox entries for the relay (the backfill writes both dimensions itself, per cluster: <see cref="ClusterCopyWriter"/>).
/// </summary>
internal static partial class TargetShard
{
    /// <summary>Rows per statement group and transaction, so a large chunk stays far below max_allowed_packet.</summary>
    private const int SliceRows = 500;
    private const int Parallelism = 8;

    private const string LockOrders = "SELECT order_id, version FROM {orders} WHERE order_id IN @Ids ORDER BY order_id FOR UPDATE";
    private const string LockTombstones = "SELECT order_id, version FROM {schema}.`shardkit_tombstones` WHERE order_id IN @Ids ORDER BY order_id FOR UPDATE";
    private const string OrderColumns = "order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, version, ext";
    private const string ItemColumns = "order_id, line_no, sku, quantity, unit_price";

    private const string UpsertOrdersTail = """
        ON DUPLICATE KEY UPDATE user_id = VALUES(user_id), merchant_id = VALUES(merchant_id), status = VALUES(status),
            total_amount = VALUES(total_amount), currency = VALUES(currency), created_at = VALUES(created_at),
            updated_at = VALUES(updated_at), ext = VALUES(ext), version = VALUES(version)
        """;


    /// <summary>
    /// Applies a chunk of source states (any buckets) to both dimensions with the version guard:
    /// <list type="number">
    /// <item>per user shard (side by side), one transaction: lock the chunk's rows and tombstones there (one round trip),
    /// write every state that is newer than both, with its items, tombstone and outbox entry (one round trip), commit;</item>
    /// <item>per merchant shard, one transaction: a multi-row upsert guarded in SQL (an older version never overwrites a
    /// newer one) and a read of the versions it left (one round trip), then the items of the rows where this version won
    /// (one round trip), commit;</item>
    /// <item>per user shard, one statement marking the written outbox entries applied (the merchant copies hold those
    /// versions or newer). A crash before this leaves them to the relay, which applies them again idempotently.</item>
    /// </list>
    /// Returns how many states were written on the user side.
    /// </summary>
    public static async Task<int> ApplyChunkAsync(ShardKitDataSource dataSource, IReadOnlyList<UserSideState> states, CancellationToken cancellationToken)
    {
        if (states.Count == 0)
        {
            return 0;
        }

        var map = dataSource.Map;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken };
        var written = new ConcurrentQueue<UserSideState>();
        var current = new ConcurrentQueue<UserSideState>();
        await Parallel.ForEachAsync(states.GroupBy(s => map.RouteOrder(s.Id, ShardDimension.User)), options, async (group, ct) =>
        {
            var shard = await dataSource.OpenAsync(group.Key, ShardIntent.Write, ct).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                var alreadyCurrent = new List<UserSideState>();
                foreach (var state in await WriteUserSideAsync(shard, group.ToList(), force: false, alreadyCurrent, ct).ConfigureAwait(false))
                {
                    written.Enqueue(state);
                }

                alreadyCurrent.ForEach(current.Enqueue);
            }
        }).ConfigureAwait(false);

        // The merchant copies of the states written now, and of those the user side already holds exactly whose merchant copy
        // is missing or older: a run that died after committing the user side and before the merchant copies left them so.
        var due = written.Select(s => (State: s, Written: true)).Concat(current.Select(s => (State: s, Written: false)));
        await Parallel.ForEachAsync(due.GroupBy(d => map.RouteOrder(d.State.Id, ShardDimension.Merchant)), options, async (group, ct) =>
        {
            var shard = await dataSource.OpenAsync(group.Key, ShardIntent.Write, ct).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                var copies = group.Where(d => d.Written).Select(d => d.State).ToList();
                copies.AddRange(await BehindOnMerchantSideAsync(shard, group.Where(d => !d.Written).Select(d => d.State).ToList(), ct).ConfigureAwait(false));
                foreach (var slice in copies.OrderBy(s => s.Id.Value).Chunk(SliceRows))
                {
                    await WriteMerchantCopiesAsync(dataSource, shard, slice, ct).ConfigureAwait(false);
                }
            }
        }).ConfigureAwait(false);

        var now = OrderReader.Now(dataSource.TimeProvider).UtcDateTime;
        await Parallel.ForEachAsync(written.GroupBy(s => map.RouteOrder(s.Id, ShardDimension.User)), options, async (group, ct) =>
        {
            var shard = await dataSource.OpenAsync(group.Key, ShardIntent.Write, ct).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                foreach (var slice in group.Chunk(SliceRows))
                {
                    await MarkAppliedAsync(shard, slice, now, ct).ConfigureAwait(false);
                }
            }
        }).ConfigureAwait(false);

        return written.Count;
    }

    /// <summary>The states whose merchant copy on <paramref name="shard"/> is missing or older than the state (one read per slice).</summary>
    private static async Task<List<UserSideState>> BehindOnMerchantSideAsync(ShardConnection shard, List<UserSideState> states, CancellationToken cancellationToken)
    {
        var behind = new List<UserSideState>();
        foreach (var slice in states.Chunk(SliceRows))
        {
            var versions = (await shard.Connection.QueryAsync<(long OrderId, long Version)>(new CommandDefinition(
                shard.Sql("SELECT order_id, version FROM {orders} WHERE order_id IN @Ids"), new { Ids = slice.Select(s => s.Id.Value).ToArray() }, cancellationToken: cancellationToken)).ConfigureAwait(false))
                .ToDictionary(v => v.OrderId, v => v.Version);
            behind.AddRange(slice.Where(s => !versions.TryGetValue(s.Id.Value, out var version) || version < s.Version));
        }

        return behind;
    }

    /// <summary>
    /// Writes <paramref name="states"/> (all of this user shard, each order once) where the shard holds neither the order
    /// nor its tombstone at the same or a newer version (unless <paramref name="force"/>): per slice one REPEATABLE READ
    /// transaction that locks the rows and tombstones (<c>FOR UPDATE</c>, in key order), decides, and writes the winners
    /// with their items, tombstones and outbox entries in one multi-statement round trip. Returns the states written; adds
    /// to <paramref name="alreadyCurrent"/> (when given) the states not written because the shard holds exactly them (the same
    /// version, live or deleted alike).
    /// </summary>
    public static async Task<List<UserSideState>> WriteUserSideAsync(ShardConnection userShard, IReadOnlyList<UserSideState> states, bool force, List<UserSideState>? alreadyCurrent, CancellationToken cancellationToken)
    {
        var written = new List<UserSideState>();
        foreach (var slice in Newest(states).OrderBy(s => s.Id.Value).Chunk(SliceRows))
        {
            // A deadlock with another applier of a neighbouring order (gap locks): the whole slice runs again.
            written.AddRange(await s_retry.ExecuteAsync(
                static (s, ct) => new ValueTask<List<UserSideState>>(WriteUserSliceAsync(s.UserShard, s.Slice, s.Force, s.AlreadyCurrent, ct)),
                (UserShard: userShard, Slice: slice, Force: force, AlreadyCurrent: alreadyCurrent),
                cancellationToken).ConfigureAwait(false));
        }

        return written;
    }

    private static async Task<List<UserSideState>> WriteUserSliceAsync(ShardConnection shard, UserSideState[] states, bool force, List<UserSideState>? alreadyCurrent, CancellationToken cancellationToken)
    {
        var connection = shard.Connection;
        var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            var current = new Dictionary<long, long>(states.Length);
            var tombstoned = new HashSet<long>();
            var locks = await connection.QueryMultipleAsync(new CommandDefinition(
                shard.Sql(LockOrders + ";\n" + LockTombstones), new { Ids = states.Select(s => s.Id.Value).ToArray() }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await using (locks.ConfigureAwait(false))
            {
                for (var set = 0; set < 2; set++)
                {
                    foreach (var (orderId, version) in await locks.ReadAsync<(long, long)>().ConfigureAwait(false))
                    {
                        if (version >= current.GetValueOrDefault(orderId))
                        {
                            current[orderId] = version;
                            if (set == 1)
                            {
                                tombstoned.Add(orderId);
                            }
                        }
                    }
                }
            }

            // The version guard: the copy loses to anything as new or newer, live or deleted.
            var winners = states.Where(s => force || s.Version > current.GetValueOrDefault(s.Id.Value)).ToList();
            if (winners.Count > 0)
            {
                var (sql, parameters) = UserWrites(shard, winners);
                await connection.ExecuteAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            alreadyCurrent?.AddRange(states.Where(s => !force
                && current.TryGetValue(s.Id.Value, out var version) && version == s.Version && s.Deleted == tombstoned.Contains(s.Id.Value)));
            return winners;
        }
    }

    /// <summary>The writes of the winning states as one multi-statement text: items out, rows or tombstones in, items in, outbox entries.</summary>
    private static (string Sql, DynamicParameters Parameters) UserWrites(ShardConnection shard, List<UserSideState> winners)
    {
        var parameters = new DynamicParameters();
        var live = new List<int>();
        var deleted = new List<int>();
        for (var i = 0; i < winners.Count; i++)
        {
            AddOrder(parameters, i, winners[i].Order);
            (winners[i].Deleted ? deleted : live).Add(i);
        }

        var sql = new StringBuilder();
        AppendInList(sql, shard.Sql("DELETE FROM {order_items} WHERE order_id IN "), All(winners.Count));
        if (deleted.Count > 0)
        {
            AppendInList(sql, shard.Sql("DELETE FROM {orders} WHERE order_id IN "), deleted);
            Tombstones.Append(sql, parameters, shard.Sql, deleted.Select(i => winners[i].Order)
                .Select(o => new Tombstone(o.Id.Value, o.UserId, o.MerchantId, o.CreatedAt.UtcDateTime, o.UpdatedAt.UtcDateTime, o.Version)).ToList());
        }

        if (live.Count > 0)
        {
            AppendInList(sql, shard.Sql("DELETE FROM {schema}.`shardkit_tombstones` WHERE order_id IN "), live);
            AppendRows(sql, shard.Sql("INSERT INTO {orders} (" + OrderColumns + ") VALUES "), live,
                i => $"(@O{i}, @U{i}, @M{i}, @S{i}, @T{i}, @Cu{i}, @C{i}, @D{i}, @V{i}, @E{i})");
            sql.Append(' ').Append(UpsertOrdersTail);
            AddItems(sql, shard.Sql("{order_items}"), parameters, winners, live);
        }

        AppendRows(sql, shard.Sql("INSERT INTO {schema}.`shardkit_outbox` (order_id, version, op, created_at, next_attempt_at) VALUES "), All(winners.Count),
            i => $"(@O{i}, @V{i}, 'copy', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))");
        return (sql.ToString(), parameters);
    }

    /// <summary>
    /// The merchant copies of one merchant shard's orders (sorted by ID, so batches lock in one order): the guarded
    /// multi-row upsert, then the items of the rows whose version is now the one written. READ COMMITTED, as in
    /// <see cref="MerchantApplier"/>: the row locks of the upsert are all the guard needs.
    /// </summary>
    private static async Task WriteMerchantCopiesAsync(ShardKitDataSource dataSource, ShardConnection shard, UserSideState[] states, CancellationToken cancellationToken)
    {
        var plan = await MerchantCopyPlan.GetAsync(dataSource, shard, states, cancellationToken).ConfigureAwait(false);
        await s_retry.ExecuteAsync(
            static (s, ct) => new ValueTask(MerchantCopyWriter.WriteAsync(s.Shard, s.Plan, s.States, ct)), (Shard: shard, Plan: plan, States: states), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks each written order's outbox entries up to the version written applied, in one statement.</summary>
    private static async Task MarkAppliedAsync(ShardConnection shard, UserSideState[] states, DateTime now, CancellationToken cancellationToken)
    {
        var (sql, parameters) = OutboxMarker.MarkStatement(shard, states.Select(s => (s.Id.Value, s.Version)).ToList(), now);
        await shard.Connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private static void AddOrder(DynamicParameters parameters, int i, OrderRecord order)
    {
        OrderReader.AddIndexedRow(parameters, Index(i), order);
    }

    /// <summary>Appends one multi-row item insert for the orders <paramref name="which"/> (indexes into <paramref name="states"/>; their <c>@O{i}</c> parameters must be added).</summary>
    private static void AddItems(StringBuilder sql, string itemsTable, DynamicParameters parameters, IReadOnlyList<UserSideState> states, List<int> which)
    {
        var first = true;
        foreach (var i in which)
        {
            var items = states[i].Order.Items;
            for (var j = 0; j < items.Count; j++)
            {
                var n = Index(i) + "_" + j.ToString(CultureInfo.InvariantCulture);
                sql.Append(first ? ";\nINSERT INTO " + itemsTable + " (" + ItemColumns + ") VALUES " : ", ")
                    .Append(CultureInfo.InvariantCulture, $"(@O{i}, @L{n}, @K{n}, @Q{n}, @P{n})");
                parameters.Add("L" + n, items[j].LineNo);
                parameters.Add("K" + n, items[j].Sku);
                parameters.Add("Q" + n, items[j].Quantity);
                parameters.Add("P" + n, items[j].UnitPrice);
                first = false;
            }
        }
    }

    /// <summary>Appends <c>prefix (@O{i}, ...)</c> as a new statement: an <c>IN</c> list of the orders' IDs.</summary>
    private static void AppendInList(StringBuilder sql, string prefix, IReadOnlyList<int> which)
    {
        sql.Append(sql.Length == 0 ? "" : ";\n").Append(prefix).Append('(');
        for (var k = 0; k < which.Count; k++)
        {
            sql.Append(k == 0 ? "@O" : ", @O").Append(Index(which[k]));
        }

        sql.Append(')');
    }

    /// <summary>Appends <c>prefix row, row, ...</c> as a new statement, one row per order in <paramref name="which"/>.</summary>
    private static void AppendRows(StringBuilder sql, string prefix, IReadOnlyList<int> which, Func<int, string> row)
    {
        sql.Append(sql.Length == 0 ? "" : ";\n").Append(prefix);
        for (var k = 0; k < which.Count; k++)
        {
            sql.Append(k == 0 ? "" : ", ").Append(row(which[k]));
        }
    }

    /// <summary>Each order once, at the newest version given (a change read twice is one apply).</summary>
    private static IEnumerable<UserSideState> Newest(IEnumerable<UserSideState> states) =>
        states.GroupBy(s => s.Id.Value).Select(g => g.MaxBy(s => s.Version)!);

    private static List<int> All(int count) => Enumerable.Range(0, count).ToList();

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);
}

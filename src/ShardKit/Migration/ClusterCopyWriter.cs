using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Dapper;
using Polly;

namespace ShardKit.Migration;

/// <summary>
/// The migration's apply of source states (the backfill's chunks, the drains' batches, the verify's repairs): live and
/// deleted states of any declared tables written to both dimensions in one pass, grouped per cluster, not per shard. Shards are schemas on their cluster's server, so one transaction per cluster writes every user-shard and
/// merchant-shard schema of the chunk that the cluster holds, in two round trips, sized below the server's
/// <c>max_allowed_packet</c> (read once per cluster; a larger batch is split into several transactions); the clusters are
/// written side by side. Values go into the text as literals (<see cref="SqlLiteral"/>).
/// <para>A batch is one REPEATABLE READ transaction:</para>
/// <list type="number">
/// <item>one statement locks the batch's orders and tombstones in every schema of the batch (<c>FOR UPDATE</c> on the rows,
/// <c>LOCK IN SHARE MODE</c> on the tombstones; a gap lock where there is none, so no writer can insert the order or its
/// tombstone until the commit) and returns the versions found;</item>
/// <item>the version guard decides per order. User side: a state (live or deleted) wins if it is newer than both the row
/// and the tombstone. Merchant side, as the two-dimension store keeps it (<see cref="MerchantCopyWriter"/>): a live copy
/// wins if it is newer than the row and the order has no merchant tombstone at all (a tombstone wins over an older copy;
/// an older version never overwrites a newer one); a deletion wins if it is newer than the row and the tombstone there.
/// (The store's merchant writes take the user side's current state, so a deletion there is never older than the copy; a
/// source state can be, and both dimensions then keep what they hold, so they stay equal.)
/// The winners are written per schema: a deletion removes the order's rows from every table the dimension holds (children
/// first) and upserts its tombstone (<c>{schema}.shardkit_tombstones</c>); live states go as one multi-row upsert of the
/// root rows (still guarded in SQL) and one multi-row insert per child table (the child rows of a replaced older version
/// deleted first; on the user side an older tombstone removed); then the commit.</item>
/// </list>
/// When no schema of the batch holds any of its orders (the common case of a first copy) the writes were built beforehand.
/// No outbox entry is written: the caller writes both dimensions before it records any progress (a checkpoint, the
/// deletion of change rows), so a crash writes the same states again, and the write is idempotent. A repair writes with
/// <c>force</c> (whatever the versions) and removes orders the source has no trace of with <see cref="RemoveAsync"/>.
/// </summary>
internal sealed class ClusterCopyWriter
{
    private const string Begin = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nSTART TRANSACTION;\n";
    private const string End = "COMMIT";
    private const string TombstoneTable = "{schema}.`shardkit_tombstones`";
    private const string ReadTombstones = "SELECT order_id, user_id, merchant_id, created_at, deleted_at, version FROM " + TombstoneTable + " WHERE order_id IN @Ids LOCK IN SHARE MODE";

    // A deadlock or lock wait with a drain or the relay, or a lost connection: the whole batch runs again (it is idempotent).
    private static readonly ResiliencePipeline s_retry = TransientRetry.Create(attempts: 5, TimeSpan.FromMilliseconds(20), TimeProvider.System);

    private readonly ShardKitDataSource _dataSource;
    private int _batches;

    public ClusterCopyWriter(ShardKitDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    /// <summary>Bytes a batch may hold at most; the server's <c>max_allowed_packet</c> (less a margin) when null. Tests set it small.</summary>
    public int? MaxBatchBytes { get; init; }

    /// <summary>Where the time goes, when set.</summary>
    public CopyProfile? Profile { get; init; }

    /// <summary>
    /// The states written are every order of a contiguous range of legacy keys (a backfill chunk). Then, in each schema, every
    /// order whose ID is derived from a legacy key (<see cref="LegacyOrderIds"/>: the key is the ID's high part) and lies
    /// between the lowest and the highest such ID of the schema's share is one of that share, so the batch's locking read
    /// takes them as one index range (one range scan and its gap locks instead of two lookups per order); rows it finds
    /// that the share does not hold (an order deleted since an earlier copy) are left alone, for the drains.
    /// </summary>
    public bool KeyRangeChunks { get; init; }

    /// <summary>Transactions (batches) written so far.</summary>
    public int Batches => Volatile.Read(ref _batches);

    /// <summary>
    /// Writes <paramref name="states"/> (live or deleted, any buckets; an order given twice counts at its newest version) to
    /// both dimensions with the version guard. Returns how many states won on the user side (0 when every order was there at
    /// the same or a newer version already); the merchant side is decided on its own, so a copy missing there is written
    /// even when the user side holds the state already.
    /// </summary>
    public Task<int> WriteAsync(IReadOnlyList<UserSideState> states, CancellationToken cancellationToken) =>
        WriteAsync(states, force: false, cancellationToken);

    /// <summary>
    /// As <see cref="WriteAsync(IReadOnlyList{UserSideState}, CancellationToken)"/>; with <paramref name="force"/> (a repair)
    /// every state is written whatever either dimension holds: the order's rows and tombstone there are replaced by the
    /// state (its rows, or its tombstone and no rows), even when they carry a newer version.
    /// </summary>
    public async Task<int> WriteAsync(IReadOnlyList<UserSideState> states, bool force, CancellationToken cancellationToken)
    {
        if (states.Count == 0)
        {
            return 0;
        }

        var map = _dataSource.Map;
        var clusters = new Dictionary<string, ClusterWork>(StringComparer.Ordinal);
        foreach (var state in states.GroupBy(s => s.Id.Value).Select(g => g.MaxBy(s => s.Version)!).OrderBy(s => s.Id.Value))
        {
            Add(clusters, map.RouteOrder(state.Id, ShardDimension.User), state, merchant: false);
            Add(clusters, map.RouteOrder(state.Id, ShardDimension.Merchant), state, merchant: true);
        }

        var written = await Task.WhenAll(clusters.Values.Select(c => WriteClusterAsync(c, force, cancellationToken))).ConfigureAwait(false);
        return written.Sum();
    }

    /// <summary>
    /// Removes orders that have no trace on the source (a repair of extra target rows): on the user shard, in one transaction,
    /// the order's rows in every declared table (children first; a tombstone there stays); then the merchant copy follows
    /// what the user side holds now: with a user tombstone, the merchant copy becomes that tombstone (written with force);
    /// without, the order's merchant rows and merchant tombstone are deleted.
    /// </summary>
    public async Task RemoveAsync(IReadOnlyList<OrderId> orderIds, CancellationToken cancellationToken)
    {
        var map = _dataSource.Map;
        var model = map.Tables;
        var tombstoned = new List<UserSideState>();
        var gone = new List<OrderId>();
        foreach (var group in orderIds.Distinct().OrderBy(id => id.Value).GroupBy(id => map.RouteOrder(id, ShardDimension.User)))
        {
            var ids = group.Select(id => id.Value).ToArray();
            var shard = await _dataSource.OpenAsync(group.Key, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                var found = await s_retry.ExecuteAsync(static async (s, ct) =>
                {
                    var deletes = new StringBuilder();
                    foreach (var table in s.Model.In(ShardDimension.User).Reverse())
                    {
                        deletes.Append(deletes.Length == 0 ? "" : ";\n").Append("DELETE FROM ").Append(s.Shard.Sql(table.Placeholder))
                            .Append(" WHERE ").Append(Quote(table.OrderIdColumn)).Append(" IN @Ids");
                    }

                    var transaction = await s.Shard.Connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
                    await using (transaction.ConfigureAwait(false))
                    {
                        var rows = (await s.Shard.Connection.QueryAsync<(long OrderId, long UserId, long MerchantId, DateTime CreatedAt, DateTime DeletedAt, long Version)>(
                            new CommandDefinition(s.Shard.Sql(ReadTombstones), new { s.Ids }, transaction, cancellationToken: ct)).ConfigureAwait(false)).ToList();
                        await s.Shard.Connection.ExecuteAsync(new CommandDefinition(deletes.ToString(), new { s.Ids }, transaction, cancellationToken: ct)).ConfigureAwait(false);
                        await transaction.CommitAsync(ct).ConfigureAwait(false);
                        return rows;
                    }
                }, (Shard: shard, Model: model, Ids: ids), cancellationToken).ConfigureAwait(false);

                tombstoned.AddRange(found.Select(t => new UserSideState(new Tombstone(t.OrderId, t.UserId, t.MerchantId, t.CreatedAt, t.DeletedAt, t.Version))));
                gone.AddRange(group.Where(id => found.All(t => t.OrderId != id.Value)));
            }
        }

        foreach (var group in gone.GroupBy(id => map.RouteOrder(id, ShardDimension.Merchant)))
        {
            var shard = await _dataSource.OpenAsync(group.Key, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                var text = new StringBuilder("START TRANSACTION;\n").Append(shard.Sql("DELETE FROM " + TombstoneTable + " WHERE order_id IN @Ids"));
                foreach (var table in model.In(ShardDimension.Merchant).Reverse())
                {
                    text.Append(";\nDELETE FROM ").Append(shard.Sql(table.Placeholder)).Append(" WHERE ").Append(Quote(table.OrderIdColumn)).Append(" IN @Ids");
                }

                text.Append(";\nCOMMIT");
                await s_retry.ExecuteAsync(static async (s, ct) =>
                {
                    try
                    {
                        await s.Shard.Connection.ExecuteAsync(new CommandDefinition(s.Text, new { s.Ids }, cancellationToken: ct)).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is DbException or OperationCanceledException)
                    {
                        await MerchantCopyWriter.RollBackAsync(s.Shard.Connection).ConfigureAwait(false);
                        throw;
                    }
                }, (Shard: shard, Text: text.ToString(), Ids: group.Select(id => id.Value).ToArray()), cancellationToken).ConfigureAwait(false);
            }
        }

        await WriteAsync(tombstoned, force: true, cancellationToken).ConfigureAwait(false);
    }

    private static void Add(Dictionary<string, ClusterWork> clusters, ShardRoute route, UserSideState state, bool merchant)
    {
        if (!clusters.TryGetValue(route.Cluster.Name, out var work))
        {
            clusters[route.Cluster.Name] = work = new ClusterWork(route.Cluster);
        }

        var schemas = merchant ? work.Merchant : work.User;
        if (!schemas.TryGetValue(route.Shard, out var group))
        {
            schemas[route.Shard] = group = (route, []);
        }

        group.States.Add(state);
    }

    /// <summary>Writes one cluster's share; returns how many states won on its user shards.</summary>
    private async Task<int> WriteClusterAsync(ClusterWork work, bool force, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var anchor = work.Merchant.Count > 0 ? work.Merchant.Values.First().Route : work.User.Values.First().Route;
        List<List<Piece>> batches;
        MerchantCopyPlan? plan;
        var shard = await _dataSource.OpenAsync(anchor, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var limit = MaxBatchBytes ?? await BatchText.LimitAsync(shard, cancellationToken).ConfigureAwait(false);
            plan = work.Merchant.Count > 0
                ? await MerchantCopyPlan.GetAsync(_dataSource, shard, work.Merchant.Values.SelectMany(g => g.States).ToList(), cancellationToken).ConfigureAwait(false)
                : null;
            batches = Pack(work, plan, limit);
        }

        Profile?.Add("apply.build", clock.Elapsed, 0);
        var written = 0;
        foreach (var batch in batches)
        {
            var sent = Stopwatch.StartNew();
            written += await s_retry.ExecuteAsync(
                static (s, ct) => new ValueTask<int>(s.Self.WriteBatchAsync(s.Anchor, s.Batch, s.Plan, s.Force, ct)),
                (Self: this, Anchor: anchor, Batch: batch, Plan: plan, Force: force),
                cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _batches);
            Profile?.Add("apply.cluster " + work.Cluster.Name, sent.Elapsed, 2);
        }

        return written;
    }

    /// <summary>
    /// One batch, one REPEATABLE READ transaction, two round trips: (1) one statement locks the batch's orders and their
    /// tombstones in every schema of the batch (<c>FOR UPDATE</c> / <c>LOCK IN SHARE MODE</c>; gap locks where there is no row,
    /// so nothing can be inserted there until the commit); (2) the writes of the states that win, and the commit. Returns how
    /// many states won on the batch's user shards.
    /// </summary>
    private async Task<int> WriteBatchAsync(ShardRoute anchor, List<Piece> batch, MerchantCopyPlan? plan, bool force, CancellationToken cancellationToken)
    {
        var shard = await _dataSource.OpenAsync(anchor, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var connection = shard.Connection;
            try
            {
                // Plain ADO.NET, not Dapper: every text here is new, and Dapper would build (and JIT) a reader for each.
                var found = new List<(int Piece, int Kind, long OrderId, long Version)>();
                var command = connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = LockText(batch);
                    var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            found.Add((Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture), Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
                                reader.GetInt64(2), reader.GetInt64(3)));
                        }
                    }
                }

                var writes = new StringBuilder(batch.Sum(p => p.Text.Length) + End.Length);
                var written = 0;
                var rows = new Dictionary<long, long>();
                var tombstones = new Dictionary<long, long>();
                for (var i = 0; i < batch.Count; i++)
                {
                    rows.Clear();
                    tombstones.Clear();
                    foreach (var (piece, kind, orderId, version) in found)
                    {
                        if (piece == i)
                        {
                            (kind == 0 ? rows : tombstones)[orderId] = version;
                        }
                    }

                    var merchant = batch[i].Route.Dimension == ShardDimension.Merchant;
                    var (text, winners) = rows.Count == 0 && tombstones.Count == 0
                        ? (batch[i].Text, batch[i].States.Count)
                        : Decide(batch[i], rows, tombstones, merchant ? plan : null, force);
                    writes.Append(text);
                    written += merchant ? 0 : winners;
                }

                await BatchText.ExecuteAsync(connection, null, writes.Append(End).ToString(), cancellationToken).ConfigureAwait(false);
                return written;
            }
            catch (Exception ex) when (ex is DbException or OperationCanceledException)
            {
                // A failed statement stops the text with the transaction open: nothing of the batch is kept.
                await MerchantCopyWriter.RollBackAsync(connection).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>
    /// The writes of a schema where some of its orders are there already, and how many states won: the version guard
    /// decides per order (<paramref name="force"/>: every state wins). A deletion wins on either side if it is newer than
    /// both the row and the tombstone there; a live state too on the user side, while on the merchant side it wins only if it
    /// is newer than the row and the order has no tombstone at all. A live winner replacing an older row gets its
    /// child rows replaced (forced: its rows are deleted first, root included, so the insert is plain); an older tombstone
    /// of a live winner goes (on the merchant side only when forced).
    /// </summary>
    private static (string Text, int Winners) Decide(Piece piece, Dictionary<long, long> rows, Dictionary<long, long> tombstones, MerchantCopyPlan? plan, bool force)
    {
        var winners = new List<UserSideState>(piece.States.Count);
        var replaced = new List<long>();
        var cleared = new List<long>();
        var dropped = new List<long>();
        foreach (var state in piece.States)
        {
            var id = state.Id.Value;
            var hasRow = rows.TryGetValue(id, out var row);
            var hasTombstone = tombstones.TryGetValue(id, out var tombstone);
            var wins = force || (plan is null || state.Deleted
                ? state.Version > Math.Max(hasRow ? row : 0, hasTombstone ? tombstone : 0)
                : !hasTombstone && (!hasRow || state.Version > row));
            if (!wins)
            {
                continue;
            }

            winners.Add(state);
            if (state.Deleted)
            {
                // Its rows go and its tombstone is upserted whatever is there.
                continue;
            }

            if (hasRow)
            {
                (force ? cleared : replaced).Add(id);
            }

            if (hasTombstone)
            {
                dropped.Add(id);
            }
        }

        return winners.Count == 0 ? ("", 0) : (SchemaText(piece.Route, winners, plan, replaced, dropped, cleared), winners.Count);
    }

    /// <summary>
    /// The locking read of a batch: per piece its rows and its tombstones, as (piece, 0 = row / 1 = tombstone, order ID, version).
    /// With <see cref="KeyRangeChunks"/> a piece's IDs derived from legacy keys are read as one range (rows in it that the
    /// piece does not hold come back too, and are left alone).
    /// </summary>
    private string LockText(List<Piece> batch)
    {
        var sql = new StringBuilder(Begin);
        for (var i = 0; i < batch.Count; i++)
        {
            var piece = batch[i];
            var slot = piece.Route.Slot;
            var root = slot.Map.Tables.Root;
            var where = Condition(piece.States);
            sql.Append(i == 0 ? "(SELECT " : "\nUNION ALL (SELECT ").Append(i).Append(" AS p, 0 AS k, ").Append(Quote(root.OrderIdColumn)).Append(" AS o, ").Append(Quote(root.VersionColumn!))
                .Append(" AS v FROM ").Append(slot.ExpandSql(root.Placeholder)).Append(" WHERE ").Append(where.Replace("{id}", Quote(root.OrderIdColumn), StringComparison.Ordinal)).Append(" FOR UPDATE)")
                .Append("\nUNION ALL (SELECT ").Append(i).Append(", 1, order_id, version FROM ").Append(slot.ExpandSql(TombstoneTable)).Append(" WHERE ")
                .Append(where.Replace("{id}", "order_id", StringComparison.Ordinal)).Append(" LOCK IN SHARE MODE)");
        }

        return sql.ToString();
    }

    /// <summary>The condition on <c>{id}</c> that finds <paramref name="states"/> (sorted by ID): an ID list, or a range and a list.</summary>
    private string Condition(List<UserSideState> states)
    {
        var condition = new StringBuilder();
        long low = 0;
        long high = 0;
        var ranged = 0;
        if (KeyRangeChunks)
        {
            foreach (var state in states)
            {
                if (state.Id.WorkerId == LegacyOrderIds.Worker)
                {
                    low = ranged == 0 ? state.Id.Value : low;
                    high = state.Id.Value;
                    ranged++;
                }
            }
        }

        if (ranged < 2)
        {
            ranged = 0;
        }

        var listed = 0;
        foreach (var state in states)
        {
            if (ranged == 0 || state.Id.WorkerId != LegacyOrderIds.Worker)
            {
                condition.Append(listed++ == 0 ? "{id} IN (" : ", ").Append(state.Id.Value);
            }
        }

        condition.Append(listed > 0 ? ")" : "");
        if (ranged > 0)
        {
            condition.Append(listed > 0 ? " OR " : "").Append("{id} BETWEEN ").Append(low).Append(" AND ").Append(high);
        }

        return condition.ToString();
    }

    /// <summary>
    /// The cluster's schemas (user shards, then merchant shards, each in shard order) as pieces of text (the writes if every
    /// state wins), packed into batches below <paramref name="limit"/> bytes; a schema whose piece alone is larger is split by
    /// order ID.
    /// </summary>
    private static List<List<Piece>> Pack(ClusterWork work, MerchantCopyPlan? plan, int limit)
    {
        var budget = limit - End.Length;
        var pieces = new List<Piece>();
        foreach (var (route, states) in work.User.OrderBy(g => g.Key).Select(g => g.Value))
        {
            Pieces(pieces, route, states, plan: null, budget);
        }

        foreach (var (route, states) in work.Merchant.OrderBy(g => g.Key).Select(g => g.Value))
        {
            Pieces(pieces, route, states, plan, budget);
        }

        var batches = new List<List<Piece>>();
        List<Piece>? batch = null;
        var bytes = 0;
        foreach (var piece in pieces)
        {
            if (batch is null || bytes + piece.Bytes > budget)
            {
                batches.Add(batch = []);
                bytes = 0;
            }

            batch.Add(piece);
            bytes += piece.Bytes;
        }

        return batches;
    }

    private static void Pieces(List<Piece> pieces, ShardRoute route, List<UserSideState> states, MerchantCopyPlan? plan, int budget)
    {
        var text = SchemaText(route, states, plan, replaced: [], dropped: [], cleared: []);
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes <= budget || states.Count == 1)
        {
            if (bytes > budget)
            {
                throw new InvalidOperationException(
                    $"Order {states[0].Id} alone needs more than {budget} bytes of SQL for {route.Name}; raise the server's max_allowed_packet.");
            }

            pieces.Add(new Piece(route, states, text, bytes));
            return;
        }

        var half = states.Count / 2;
        Pieces(pieces, route, states.GetRange(0, half), plan, budget);
        Pieces(pieces, route, states.GetRange(half, states.Count - half), plan, budget);
    }

    /// <summary>
    /// The writes of <paramref name="states"/> (sorted by ID, each winning over what the schema holds, which the batch's
    /// locks keep so) into one schema; merchant copies when <paramref name="plan"/> is given. Deleted states: their rows in
    /// every table the dimension holds (children first) deleted, their tombstones upserted. Live states: the rows of the
    /// orders in <paramref name="cleared"/> (a forced write over a row) deleted first, the tombstones in
    /// <paramref name="dropped"/> removed, the root rows in one multi-row upsert (still guarded: an older version never
    /// overwrites a newer one), the child rows of the orders in <paramref name="replaced"/> (an older version was there)
    /// deleted, every state's child rows inserted.
    /// </summary>
    internal static string SchemaText(
        ShardRoute route, IReadOnlyList<UserSideState> states, MerchantCopyPlan? plan, IReadOnlyList<long> replaced, IReadOnlyList<long> dropped, IReadOnlyList<long> cleared)
    {
        var slot = route.Slot;
        var model = slot.Map.Tables;
        var root = model.Root;
        var rootTable = slot.ExpandSql(root.Placeholder);
        var version = Quote(root.VersionColumn!);
        var rootColumns = plan?.ColumnsOf(root);
        var sql = new StringBuilder(states.Count * 400);

        // Deletions (and forced rewrites over a row): the order's rows in every table of the dimension go, children first.
        var deleted = states.Where(s => s.Deleted).ToList();
        var removed = deleted.Select(s => s.Id.Value).Concat(cleared).Order().ToList();
        if (removed.Count > 0)
        {
            var tables = plan is null ? model.In(ShardDimension.User).ToList() : plan.Tables.Select(t => t.Table).ToList();
            for (var t = tables.Count - 1; t >= 0; t--)
            {
                sql.Append("DELETE FROM ").Append(slot.ExpandSql(tables[t].Placeholder)).Append(" WHERE ").Append(Quote(tables[t].OrderIdColumn))
                    .Append(" IN (").AppendJoin(", ", removed).Append(");\n");
            }
        }

        Tombstones.AppendLiterals(sql, slot.ExpandSql(TombstoneTable), deleted.Select(s => s.Tombstone!.Value).ToList());
        if (dropped.Count > 0)
        {
            sql.Append("DELETE FROM ").Append(slot.ExpandSql(TombstoneTable)).Append(" WHERE order_id IN (").AppendJoin(", ", dropped).Append(");\n");
        }

        if (deleted.Count == states.Count)
        {
            return sql.ToString();
        }

        var live = deleted.Count == 0 ? states : states.Where(s => !s.Deleted).ToList();

        // The root rows, version-guarded; grouped by the columns they carry (one statement per group).
        foreach (var members in ByColumns(live, s => s.Root!, rootColumns))
        {
            var (columns, picks) = Pick(members[0].Root!, rootColumns);
            sql.Append("INSERT INTO ").Append(rootTable).Append(" (").AppendJoin(", ", columns.Select(Quote)).Append(") VALUES ");
            for (var i = 0; i < members.Count; i++)
            {
                AppendRow(sql.Append(i == 0 ? "(" : ", ("), members[i].Root!.Rows[0], picks).Append(')');
            }

            // Evaluated left to right, each assignment seeing the ones before: the version comes last, so every guard compares with the old one.
            sql.Append(" ON DUPLICATE KEY UPDATE ");
            var first = true;
            foreach (var column in columns.Where(c => !c.Equals(root.OrderIdColumn, StringComparison.OrdinalIgnoreCase) && !c.Equals(root.VersionColumn, StringComparison.OrdinalIgnoreCase)).Append(root.VersionColumn!))
            {
                var c = Quote(column);
                sql.Append(first ? "" : ", ").Append(c).Append(" = IF(VALUES(").Append(version).Append(") > ").Append(version).Append(", VALUES(").Append(c).Append("), ").Append(c).Append(')');
                first = false;
            }

            sql.Append(";\n");
        }

        var children = plan is null
            ? model.Children.Select(t => (Table: t, Columns: (HashSet<string>?)null))
            : plan.Tables.Skip(1).Select(t => (t.Table, Columns: (HashSet<string>?)t.Columns));
        foreach (var (table, copied) in children)
        {
            var childTable = slot.ExpandSql(table.Placeholder);
            if (replaced.Count > 0)
            {
                sql.Append("DELETE FROM ").Append(childTable).Append(" WHERE ").Append(Quote(table.OrderIdColumn)).Append(" IN (").AppendJoin(", ", replaced).Append(");\n");
            }

            var rows = live.Select(s => s.Children.FirstOrDefault(c => c.Table.Name.Equals(table.Name, StringComparison.OrdinalIgnoreCase)))
                .Where(r => r is { Rows.Count: > 0 })
                .ToList();
            foreach (var members in ByColumns(rows, r => r!, copied))
            {
                var (columns, picks) = Pick(members[0]!, copied);
                sql.Append("INSERT INTO ").Append(childTable).Append(" (").AppendJoin(", ", columns.Select(Quote)).Append(") VALUES ");
                var n = 0;
                foreach (var childRows in members)
                {
                    foreach (var row in childRows!.Rows)
                    {
                        AppendRow(sql.Append(n++ == 0 ? "(" : ", ("), row, picks).Append(')');
                    }
                }

                sql.Append(";\n");
            }
        }

        return sql.ToString();
    }

    private static StringBuilder AppendRow(StringBuilder sql, object?[] row, int[] picks)
    {
        for (var j = 0; j < picks.Length; j++)
        {
            SqlLiteral.Append(j == 0 ? sql : sql.Append(", "), row[picks[j]]);
        }

        return sql;
    }

    /// <summary>The columns of <paramref name="rows"/> written (all, or those in <paramref name="copied"/>), in the rows' order, and their positions.</summary>
    private static (string[] Columns, int[] Picks) Pick(TableRows rows, HashSet<string>? copied)
    {
        var columns = new List<string>(rows.Columns.Length);
        var picks = new List<int>(rows.Columns.Length);
        for (var i = 0; i < rows.Columns.Length; i++)
        {
            if (copied is null || copied.Contains(rows.Columns[i]))
            {
                columns.Add(rows.Columns[i]);
                picks.Add(i);
            }
        }

        return ([.. columns], [.. picks]);
    }

    /// <summary>
    /// The items grouped by the columns their rows carry (one statement per group), in their order. Rows built the same way
    /// share one column array, so the names are compared once per distinct array, not once per row.
    /// </summary>
    private static List<List<T>> ByColumns<T>(IEnumerable<T> items, Func<T, TableRows> rows, HashSet<string>? copied)
    {
        var byArray = new Dictionary<string[], List<T>>(ReferenceEqualityComparer.Instance);
        foreach (var item in items)
        {
            var columns = rows(item).Columns;
            if (!byArray.TryGetValue(columns, out var list))
            {
                byArray[columns] = list = [];
            }

            list.Add(item);
        }

        if (byArray.Count == 1)
        {
            return [byArray.Values.First()];
        }

        return byArray.GroupBy(p => Signature(p.Key, copied), StringComparer.Ordinal).Select(g => g.SelectMany(p => p.Value).ToList()).ToList();
    }

    private static string Signature(string[] columns, HashSet<string>? copied) =>
        string.Join(",", columns.Where(c => copied is null || copied.Contains(c)).Select(c => c.ToLowerInvariant()));

    private static string Quote(string column) => "`" + column + "`";

    /// <summary>One schema's share of a batch: its states (live, sorted by ID) and their writes if every state wins.</summary>
    private sealed record Piece(ShardRoute Route, List<UserSideState> States, string Text, int Bytes);

    /// <summary>One cluster's share of a chunk: its user-shard and merchant-shard schemas (by shard index) and their states.</summary>
    private sealed class ClusterWork
    {
        public ClusterWork(ShardCluster cluster)
        {
            Cluster = cluster;
        }

        public ShardCluster Cluster { get; }

        public Dictionary<int, (ShardRoute Route, List<UserSideState> States)> User { get; } = [];

        public Dictionary<int, (ShardRoute Route, List<UserSideState> States)> Merchant { get; } = [];
    }
}

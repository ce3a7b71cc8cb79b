using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using MySqlConnector;

namespace ShardKit.Orders;

/// <summary>
/// Writes the merchant copies of orders (all of one merchant shard) in one round trip, one text transaction, whatever the
/// declared tables (<see cref="MerchantCopyPlan"/> says what each keeps):
/// <list type="number">
/// <item>deleted orders: their tombstones are upserted and their rows deleted from every table;</item>
/// <item>live orders: one multi-row, version-guarded upsert of the root rows (an older version never overwrites a newer
/// one), skipping any order with a tombstone (read with a shared lock, so a deletion committing meanwhile is waited for);</item>
/// <item>per copied child table, the rows of exactly the orders whose root row now holds the version written (it won, or
/// it was there already) are replaced. The "who won" decision is made by the server inside the transaction (a join on the
/// row the upsert has just locked), so no version is read back to the client.</item>
/// </list>
/// </summary>
/// <remarks>
/// READ COMMITTED: the row locks taken by the upsert are all the guard needs (under REPEATABLE READ the child delete of a
/// new order takes gap locks, and concurrent appliers of neighbouring orders deadlock on them). Rows are written in order
/// ID order, so two batches lock in the same order. If a statement fails the server skips the rest, the transaction is
/// rolled back here and the exception is thrown: nothing of the batch is kept.
/// </remarks>
internal static class MerchantCopyWriter
{
    private const string Begin = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED;\nSTART TRANSACTION;\n";

    /// <summary>Writes the copies of <paramref name="states"/> (each order once, all routed to <paramref name="merchantShard"/>).</summary>
    public static async Task WriteAsync(ShardConnection merchantShard, MerchantCopyPlan plan, IReadOnlyList<UserSideState> states, CancellationToken cancellationToken)
    {
        if (states.Count == 0)
        {
            return;
        }

        var first = states.Count == 1 && states[0] is { Deleted: false, Version: 1 };
        var (sql, parameters) = first ? BuildFirstVersion(merchantShard, plan, states[0]) : Build(merchantShard, plan, states);
        var connection = merchantShard.Connection;
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
        catch (MySqlException ex) when (first && ex.ErrorCode == MySqlErrorCode.DuplicateKeyEntry)
        {
            // The copy is there already, at version 1 or newer (an apply got there first): nothing of version 1 can win.
            await RollBackAsync(connection).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or OperationCanceledException)
        {
            await RollBackAsync(connection).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Adds a row's value: a <c>DECIMAL</c> wider than .NET's decimal (read as <see cref="MySqlConnector.MySqlDecimal"/>) is
    /// typed explicitly, which MySqlConnector sends exactly and Dapper would otherwise refuse.
    /// </summary>
    private static void AddValue(DynamicParameters parameters, string name, object? value) =>
        parameters.Add(name, value, value is MySqlConnector.MySqlDecimal ? System.Data.DbType.Decimal : null);

    /// <summary>
    /// The copy of an order's first version (a create), the common case: plain inserts of its rows, then the removal of
    /// those rows again if the order has a merchant tombstone (read with a shared lock). Version 1 is the oldest there is,
    /// so if the root row exists (any version) nothing may be touched: the duplicate key that refuses the insert says
    /// exactly that, and the transaction is rolled back. The check comes after the inserts on purpose: a deletion that
    /// commits before it is seen, one that runs meanwhile either waits for this transaction's row lock (and then deletes
    /// the rows) or is waited for by the check (a deadlock between the two is retried).
    /// </summary>
    internal static (string Sql, DynamicParameters Parameters) BuildFirstVersion(ShardConnection merchantShard, MerchantCopyPlan plan, UserSideState state)
    {
        var parameters = new DynamicParameters();
        parameters.Add("O0", state.Id.Value);
        var sql = new StringBuilder(Begin);
        var p = 0;
        AppendValues(sql, parameters, merchantShard, state.Root!, plan.Tables[0].Columns, ref p);
        for (var t = 1; t < plan.Tables.Count; t++)
        {
            var (table, copied) = plan.Tables[t];
            foreach (var rows in state.Children)
            {
                if (rows.Table.Name.Equals(table.Name, StringComparison.OrdinalIgnoreCase))
                {
                    AppendValues(sql, parameters, merchantShard, rows, copied, ref p);
                }
            }
        }

        var tombstoned = " AND EXISTS (SELECT 1 FROM " + merchantShard.Sql("{schema}.`shardkit_tombstones`") + " t WHERE t.order_id = @O0 LOCK IN SHARE MODE);\n";
        for (var t = plan.Tables.Count - 1; t >= 0; t--)
        {
            var table = plan.Tables[t].Table;
            sql.Append("DELETE FROM ").Append(merchantShard.Sql(table.Placeholder)).Append(" WHERE ").Append(Quote(table.OrderIdColumn)).Append(" = @O0").Append(tombstoned);
        }

        sql.Append("COMMIT");
        return (sql.ToString(), parameters);
    }

    /// <summary>Appends a plain multi-row <c>INSERT</c> of the copied columns of <paramref name="rows"/> (nothing when there are none).</summary>
    private static void AppendValues(StringBuilder sql, DynamicParameters parameters, ShardConnection shard, TableRows rows, HashSet<string> copied, ref int p)
    {
        if (rows.Rows.Count == 0)
        {
            return;
        }

        var (columns, picks) = Pick(rows, copied);
        sql.Append("INSERT INTO ").Append(shard.Sql(rows.Table.Placeholder)).Append(" (");
        for (var j = 0; j < columns.Length; j++)
        {
            sql.Append(j == 0 ? "" : ", ").Append(Quote(columns[j]));
        }

        sql.Append(") VALUES ");
        for (var i = 0; i < rows.Rows.Count; i++)
        {
            sql.Append(i == 0 ? "(" : ", (");
            for (var j = 0; j < picks.Length; j++)
            {
                var name = "P" + Index(p++);
                AddValue(parameters, name, rows.Rows[i][picks[j]]);
                sql.Append(j == 0 ? "@" : ", @").Append(name);
            }

            sql.Append(')');
        }

        sql.Append(";\n");
    }

    /// <summary>The batch text and its parameters (exposed for tests and for counting statements).</summary>
    internal static (string Sql, DynamicParameters Parameters) Build(ShardConnection merchantShard, MerchantCopyPlan plan, IReadOnlyList<UserSideState> states)
    {
        var sorted = states.Count == 1 ? states : states.OrderBy(s => s.Id.Value).ToList();
        var parameters = new DynamicParameters();
        var sql = new StringBuilder(Begin);
        var root = plan.Model.Root;
        var rootTable = merchantShard.Sql(root.Placeholder);

        // 1. Deletions: the tombstone, then the rows of every table.
        var deleted = sorted.Where(s => s.Deleted).ToList();
        if (deleted.Count > 0)
        {
            var text = new StringBuilder();
            Tombstones.Append(text, parameters, merchantShard.Sql, deleted.Select(s => s.Tombstone!.Value).ToList());
            sql.Append(text).Append(";\n");
            var ids = new StringBuilder();
            for (var i = 0; i < deleted.Count; i++)
            {
                ids.Append(i == 0 ? "@Del" : ", @Del").Append(Index(i));
                parameters.Add("Del" + Index(i), deleted[i].Id.Value);
            }

            foreach (var (table, _) in plan.Tables.Reverse())
            {
                sql.Append("DELETE FROM ").Append(merchantShard.Sql(table.Placeholder)).Append(" WHERE ").Append(Quote(table.OrderIdColumn))
                    .Append(" IN (").Append(ids).Append(");\n");
            }
        }

        // 2. The live root rows, version-guarded, grouped by the columns they carry (one statement per group).
        var live = sorted.Where(s => !s.Deleted).ToList();
        var rootColumns = plan.ColumnsOf(root)!;
        var p = 0;
        foreach (var group in live.GroupBy(s => Signature(s.Root!, rootColumns)))
        {
            var members = group.ToList();
            var (columns, picks) = Pick(members[0].Root!, rootColumns);
            var idAt = Array.FindIndex(columns, c => c.Equals(root.OrderIdColumn, StringComparison.OrdinalIgnoreCase));
            sql.Append("INSERT INTO ").Append(rootTable).Append(" (").Append(string.Join(", ", columns.Select(Quote))).Append(")\nSELECT ")
                .Append(string.Join(", ", columns.Select((_, j) => "v.c" + Index(j)))).Append(" FROM (");
            for (var i = 0; i < members.Count; i++)
            {
                sql.Append(i == 0 ? "SELECT " : " UNION ALL SELECT ");
                var row = members[i].Root!.Rows[0];
                for (var j = 0; j < picks.Length; j++)
                {
                    var name = "P" + Index(p++);
                    AddValue(parameters, name, row[picks[j]]);
                    sql.Append(j == 0 ? "@" : ", @").Append(name);
                    if (i == 0)
                    {
                        sql.Append(" AS c").Append(Index(j));
                    }
                }
            }

            sql.Append(") v\nWHERE NOT EXISTS (SELECT 1 FROM ").Append(merchantShard.Sql("{schema}.`shardkit_tombstones`"))
                .Append(" t WHERE t.order_id = v.c").Append(Index(idAt)).Append(" LOCK IN SHARE MODE)\nON DUPLICATE KEY UPDATE ");

            // MySQL evaluates the assignments left to right and later ones see the columns already assigned, so the version
            // comes last: every guard above it still compares with the old version.
            var version = Quote(root.VersionColumn!);
            var assignments = columns.Where(c => !c.Equals(root.OrderIdColumn, StringComparison.OrdinalIgnoreCase) && !c.Equals(root.VersionColumn, StringComparison.OrdinalIgnoreCase))
                .Append(root.VersionColumn!)
                .Select(c => $"{Quote(c)} = IF(VALUES({version}) > {version}, VALUES({Quote(c)}), {Quote(c)})");
            sql.Append(string.Join(", ", assignments)).Append(";\n");
        }

        // 3. The child rows of the orders whose root row now holds the version written.
        if (live.Count > 0)
        {
            var winners = Winners(merchantShard, root, live, parameters);
            foreach (var (table, copied) in plan.Tables.Skip(1))
            {
                var orderId = Quote(table.OrderIdColumn);
                sql.Append("DELETE FROM ").Append(merchantShard.Sql(table.Placeholder)).Append(" WHERE ").Append(orderId).Append(" IN (").Append(winners.Ids)
                    .Append(") AND ").Append(orderId).Append(" IN (SELECT o.").Append(Quote(root.OrderIdColumn)).Append(" FROM ").Append(rootTable).Append(" o WHERE ")
                    .Append(winners.Condition).Append(");\n");
                var rows = live.Select(s => (State: s, Rows: s.Children.FirstOrDefault(c => c.Table.Name.Equals(table.Name, StringComparison.OrdinalIgnoreCase))))
                    .Where(x => x.Rows is { Rows.Count: > 0 })
                    .ToList();
                foreach (var group in rows.GroupBy(x => Signature(x.Rows!, copied)))
                {
                    var members = group.ToList();
                    var (columns, picks) = Pick(members[0].Rows!, copied);
                    sql.Append("INSERT INTO ").Append(merchantShard.Sql(table.Placeholder)).Append(" (").Append(string.Join(", ", columns.Select(Quote))).Append(")\nSELECT ")
                        .Append(string.Join(", ", columns.Select((_, j) => "v.c" + Index(j)))).Append(" FROM (");
                    var first = true;
                    foreach (var (state, childRows) in members)
                    {
                        var key = Index(winners.Position[state.Id.Value]);
                        foreach (var row in childRows!.Rows)
                        {
                            sql.Append(first ? "SELECT @O" : " UNION ALL SELECT @O").Append(key).Append(first ? " AS k, @V" : ", @V").Append(key).Append(first ? " AS kv" : "");
                            for (var j = 0; j < picks.Length; j++)
                            {
                                var name = "P" + Index(p++);
                                AddValue(parameters, name, row[picks[j]]);
                                sql.Append(", @").Append(name);
                                if (first)
                                {
                                    sql.Append(" AS c").Append(Index(j));
                                }
                            }

                            first = false;
                        }
                    }

                    sql.Append(") v JOIN ").Append(rootTable).Append(" o ON o.").Append(Quote(root.OrderIdColumn)).Append(" = v.k AND o.")
                        .Append(Quote(root.VersionColumn!)).Append(" = v.kv;\n");
                }
            }
        }

        sql.Append("COMMIT");
        return (sql.ToString(), parameters);
    }

    /// <summary>The columns of <paramref name="rows"/> the copy keeps (in the rows' order) and their positions in the rows.</summary>
    private static (string[] Columns, int[] Picks) Pick(TableRows rows, HashSet<string> copied)
    {
        var count = 0;
        foreach (var column in rows.Columns)
        {
            count += copied.Contains(column) ? 1 : 0;
        }

        var columns = new string[count];
        var picks = new int[count];
        for (int i = 0, k = 0; i < rows.Columns.Length; i++)
        {
            if (copied.Contains(rows.Columns[i]))
            {
                columns[k] = rows.Columns[i];
                picks[k++] = i;
            }
        }

        return (columns, picks);
    }

    private static string Signature(TableRows rows, HashSet<string> copied) =>
        string.Join(",", rows.Columns.Where(copied.Contains).Select(c => c.ToLowerInvariant()));

    /// <summary>
    /// The live orders' (ID, version) as parameters <c>@O{n}</c>, <c>@V{n}</c>; the ID list (an index range) and the condition
    /// on the root rows <c>o</c> that hold exactly the version written.
    /// </summary>
    private static (string Ids, string Condition, Dictionary<long, int> Position) Winners(ShardConnection shard, DeclaredTable root, List<UserSideState> live, DynamicParameters parameters)
    {
        var position = new Dictionary<long, int>(live.Count);
        var ids = new StringBuilder();
        var pairs = new StringBuilder();
        for (var i = 0; i < live.Count; i++)
        {
            var n = Index(i);
            position[live[i].Id.Value] = i;
            parameters.Add("O" + n, live[i].Id.Value);
            parameters.Add("V" + n, live[i].Version);
            ids.Append(i == 0 ? "@O" : ", @O").Append(n);
            pairs.Append(i == 0 ? "(@O" : ", (@O").Append(n).Append(", @V").Append(n).Append(')');
        }

        var orderId = "o." + Quote(root.OrderIdColumn);
        var version = "o." + Quote(root.VersionColumn!);
        var condition = live.Count == 1
            ? $"{orderId} = @O0 AND {version} = @V0"
            : $"{orderId} IN ({ids}) AND ({orderId}, {version}) IN ({pairs})";
        return (ids.ToString(), condition, position);
    }

    private static string Quote(string column) => "`" + column + "`";

    /// <summary>Ends a text transaction a failed batch left open (best effort: a broken session is discarded by the pool anyway).</summary>
    internal static async Task RollBackAsync(DbConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            await connection.ExecuteAsync(new CommandDefinition("ROLLBACK", cancellationToken: CancellationToken.None)).ConfigureAwait(false);
        }
        catch (DbException)
        {
            // The session is gone; the server rolled the transaction back with it.
        }
        catch (InvalidOperationException)
        {
            // The connection is in a state that cannot run a command (e.g. after a cancelled read); the pool resets it.
        }
    }

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);
}

using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using MySqlConnector;

namespace ShardKit.Orders;

/// <summary>
/// Writes merchant copies of orders already read or held (one or many, all of one merchant shard) in one round trip:
/// one READ COMMITTED transaction, sent as one multi-statement text, that upserts every row with the version guard
/// (<see cref="MerchantCopySql.GuardedUpsert"/>: an older version never overwrites a newer one; a tombstone is a row with
/// <c>deleted = 1</c> and its own version) and rewrites the items of exactly the rows that now hold the version written.
/// The "who won" decision is made by the server inside the transaction (a join on the row the upsert has just locked), so
/// no version is read back to the client.
/// </summary>
/// <remarks>
/// READ COMMITTED: the row locks taken by the upsert are all the guard needs (under REPEATABLE READ the item delete of a
/// new order takes gap locks, and concurrent appliers of neighbouring orders deadlock on them). Rows are written in order
/// ID order, so two batches lock in the same order. If a statement fails the server skips the rest, the transaction is
/// rolled back here and the exception is thrown: nothing of the batch is kept.
/// </remarks>
internal static class MerchantCopyWriter
{
    private const string Begin = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED;\nSTART TRANSACTION;\n";
    private const string Columns = "order_id, user_id, merchant_id, status, total_amount, currency, created_at, updated_at, ext, deleted, version";

    /// <summary>The <c>ON DUPLICATE KEY UPDATE</c> tail of the guarded upsert, shared with the single-row statement.</summary>
    private static readonly string s_guard = MerchantCopySql.GuardedUpsert[MerchantCopySql.GuardedUpsert.IndexOf("ON DUPLICATE KEY UPDATE", StringComparison.Ordinal)..];

    /// <summary>Writes the copies of <paramref name="states"/> (each order once, all routed to <paramref name="merchantShard"/>).</summary>
    public static async Task WriteAsync(ShardConnection merchantShard, IReadOnlyList<UserSideState> states, CancellationToken cancellationToken)
    {
        if (states.Count == 0)
        {
            return;
        }

        var first = states.Count == 1 && states[0] is { Deleted: false, Version: 1 };
        var (sql, parameters) = first ? BuildFirstVersion(merchantShard, states[0]) : Build(merchantShard, states);
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
    /// The copy of an order's first version (a create), the common case: plain inserts of the row and its items in one text
    /// transaction. Version 1 is the oldest there is, so if the row exists (any version, live or deleted) it must not be
    /// touched, and the duplicate key that refuses the insert says exactly that: the batch stops there and is rolled back.
    /// </summary>
    internal static (string Sql, DynamicParameters Parameters) BuildFirstVersion(ShardConnection merchantShard, UserSideState state)
    {
        var order = state.Order;
        var parameters = new DynamicParameters();
        AddRow(parameters, 0, state);
        var sql = new StringBuilder("START TRANSACTION;\n")
            .Append(merchantShard.Sql("INSERT INTO {orders} (" + Columns + ") VALUES "))
            .Append("(@O0, @U0, @M0, @S0, @T0, @Cu0, @C0, @D0, @E0, @X0, @V0);\n");
        if (order.Items.Count > 0)
        {
            sql.Append(merchantShard.Sql("INSERT INTO {order_items} (order_id, line_no, sku, quantity, unit_price) VALUES "));
            for (var j = 0; j < order.Items.Count; j++)
            {
                var n = Index(j);
                sql.Append(j == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@O0, @L{n}, @K{n}, @Q{n}, @P{n})");
                parameters.Add("L" + n, order.Items[j].LineNo);
                parameters.Add("K" + n, order.Items[j].Sku);
                parameters.Add("Q" + n, order.Items[j].Quantity);
                parameters.Add("P" + n, order.Items[j].UnitPrice);
            }

            sql.Append(";\n");
        }

        sql.Append("COMMIT");
        return (sql.ToString(), parameters);
    }

    private static void AddRow(DynamicParameters parameters, int i, UserSideState state)
    {
        var n = Index(i);
        OrderReader.AddIndexedRow(parameters, n, state.Order);
        parameters.Add("X" + n, state.Deleted);
    }

    /// <summary>The batch text and its parameters (exposed for tests and for counting statements).</summary>
    internal static (string Sql, DynamicParameters Parameters) Build(ShardConnection merchantShard, IReadOnlyList<UserSideState> states)
    {
        var sorted = states.Count == 1 ? states : states.OrderBy(s => s.Order.Id.Value).ToList();
        var parameters = new DynamicParameters();
        var sql = new StringBuilder(Begin);

        // 1. The rows, version-guarded.
        sql.Append(merchantShard.Sql("INSERT INTO {orders} (" + Columns + ") VALUES "));
        for (var i = 0; i < sorted.Count; i++)
        {
            var n = Index(i);
            sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@O{n}, @U{n}, @M{n}, @S{n}, @T{n}, @Cu{n}, @C{n}, @D{n}, @E{n}, @X{n}, @V{n})");
            AddRow(parameters, i, sorted[i]);
        }

        sql.Append(' ').Append(s_guard).Append(";\n");

        // 2. Items follow the row: only where the row now holds the version written (it won, or it was already there), so
        //    an older copy that lost the guard leaves the newer items alone. The upsert holds the row locks, so the join
        //    sees exactly what this transaction left.
        //    (A single-table delete: MariaDB refuses a multi-table delete by alias without a default database. The outer ID
        //    list keeps it an index range on the items; the subquery only filters those rows.)
        sql.Append(merchantShard.Sql("DELETE FROM {order_items} WHERE order_id IN ("));
        AppendIds(sql, sorted.Count);
        sql.Append(merchantShard.Sql(") AND order_id IN (SELECT o.order_id FROM {orders} o WHERE "));
        AppendWinners(sql, sorted.Count);
        sql.Append(");\n");

        // 3. The items of the winners that are live, as one INSERT ... SELECT over the same join.
        var first = true;
        for (var i = 0; i < sorted.Count; i++)
        {
            if (sorted[i].Deleted)
            {
                continue;
            }

            var items = sorted[i].Order.Items;
            for (var j = 0; j < items.Count; j++)
            {
                var n = Index(i) + "_" + Index(j);
                if (first)
                {
                    sql.Append(merchantShard.Sql("INSERT INTO {order_items} (order_id, line_no, sku, quantity, unit_price) SELECT v.order_id, v.line_no, v.sku, v.quantity, v.unit_price FROM ("))
                        .Append(CultureInfo.InvariantCulture, $"SELECT @O{Index(i)} AS order_id, @V{Index(i)} AS version, @L{n} AS line_no, @K{n} AS sku, @Q{n} AS quantity, @P{n} AS unit_price");
                    first = false;
                }
                else
                {
                    sql.Append(CultureInfo.InvariantCulture, $" UNION ALL SELECT @O{Index(i)}, @V{Index(i)}, @L{n}, @K{n}, @Q{n}, @P{n}");
                }

                parameters.Add("L" + n, items[j].LineNo);
                parameters.Add("K" + n, items[j].Sku);
                parameters.Add("Q" + n, items[j].Quantity);
                parameters.Add("P" + n, items[j].UnitPrice);
            }
        }

        if (!first)
        {
            sql.Append(merchantShard.Sql(") v JOIN {orders} o ON o.order_id = v.order_id AND o.version = v.version;\n"));
        }

        sql.Append("COMMIT");
        return (sql.ToString(), parameters);
    }

    /// <summary>The orders <c>o</c> that hold the version written: an ID list (index range) and the exact (ID, version) pairs.</summary>
    private static void AppendWinners(StringBuilder sql, int count)
    {
        if (count == 1)
        {
            sql.Append("o.order_id = @O0 AND o.version = @V0");
            return;
        }

        sql.Append("o.order_id IN (");
        AppendIds(sql, count);
        sql.Append(") AND (o.order_id, o.version) IN (");
        for (var i = 0; i < count; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(@O{Index(i)}, @V{Index(i)})");
        }

        sql.Append(')');
    }

    private static void AppendIds(StringBuilder sql, int count)
    {
        for (var i = 0; i < count; i++)
        {
            sql.Append(i == 0 ? "@O" : ", @O").Append(Index(i));
        }
    }

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

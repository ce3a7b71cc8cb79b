using System.Data.Common;
using System.Text;
using Dapper;
using ShardKit.Connections;

namespace ShardKit.Orders;

/// <summary>
/// Reads orders of the declared tables from a shard: the root rows and the rows of the child tables, by order ID, in one
/// round trip (one multi-statement text), and on user shards the tombstones of deleted ones.
/// </summary>
internal static class UserSideReader
{
    private const string SnapshotBegin = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nSTART TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY;\n";
    private const string ReadTombstones = "SELECT order_id, user_id, merchant_id, created_at, deleted_at, version FROM {schema}.`shardkit_tombstones` WHERE order_id IN @Ids";

    /// <summary>
    /// The columns read of each table: what the merchant copy can keep (<see cref="MerchantCopy.Columns"/>: the
    /// projection; otherwise every column, the writer dropping what the copy does not keep), or every column for a full read.
    /// </summary>
    private static string ColumnsOf(DeclaredTable table, bool full) =>
        !full && table.MerchantCopy == MerchantCopy.Columns ? string.Join(", ", table.MerchantColumns.Select(c => "`" + c + "`")) : "*";

    /// <summary>
    /// The states of <paramref name="orderIds"/> on their user shard for their merchant copy: the root row and the rows of
    /// the copied child tables, or the tombstone; one REPEATABLE READ snapshot sent as one text (one round trip), or, with
    /// <paramref name="transaction"/>, inside it (<paramref name="locking"/>: with shared locks held to its end).
    /// Orders with no trace on the user side are absent.
    /// </summary>
    public static async Task<Dictionary<long, UserSideState>> ReadStatesAsync(
        ShardConnection userShard, TableModel model, IReadOnlyList<long> orderIds, DbTransaction? transaction, bool locking, CancellationToken cancellationToken)
    {
        var states = new Dictionary<long, UserSideState>(orderIds.Count);
        if (orderIds.Count == 0)
        {
            return states;
        }

        var tables = model.In(ShardDimension.Merchant).ToList();
        var suffix = locking ? " LOCK IN SHARE MODE" : "";
        var sql = new StringBuilder(transaction is null ? SnapshotBegin : "");
        foreach (var table in tables)
        {
            sql.Append("SELECT ").Append(ColumnsOf(table, full: false)).Append(" FROM ").Append(userShard.Sql(table.Placeholder))
                .Append(" WHERE `").Append(table.OrderIdColumn).Append("` IN @Ids").Append(suffix).Append(";\n");
        }

        sql.Append(userShard.Sql(ReadTombstones)).Append(suffix);
        sql.Append(transaction is null ? ";\nCOMMIT" : "");
        var reader = await userShard.Connection.ExecuteReaderAsync(new CommandDefinition(sql.ToString(), new { Ids = orderIds }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            var read = await ReadTablesAsync(reader, tables, cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var tombstone = new Tombstone(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetDateTime(3), reader.GetDateTime(4), reader.GetInt64(5));
                states[tombstone.OrderId] = new UserSideState(tombstone);
            }

            // The COMMIT's outcome.
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }

            // A live row wins over a tombstone of the same ID (an ID is never reused, so both cannot be current).
            foreach (var order in Orders(model, read))
            {
                states[order.Id.Value] = order;
            }
        }

        return states;
    }

    /// <summary>
    /// Reads whole orders (every column of every table the shard's dimension holds) with the given root condition, for the
    /// store's reads. <paramref name="rootSql"/> selects root rows (<c>SELECT * FROM {root} WHERE ...</c>); the child rows
    /// are those of the orders it returned.
    /// </summary>
    public static async Task<List<UserSideState>> ReadOrdersAsync(ShardConnection shard, TableModel model, string rootSql, object parameters, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var tables = model.In(shard.Route.Dimension).ToList();
        var root = tables[0];
        var sql = new StringBuilder();
        var ids = $"(SELECT r.`{root.OrderIdColumn}` FROM ({rootSql}) r)";
        sql.Append(rootSql).Append(";\n");
        foreach (var table in tables.Skip(1))
        {
            sql.Append("SELECT * FROM ").Append(shard.Sql(table.Placeholder)).Append(" WHERE `").Append(table.OrderIdColumn).Append("` IN ").Append(ids).Append(";\n");
        }

        var reader = await shard.Connection.ExecuteReaderAsync(new CommandDefinition(sql.ToString(), parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            var read = await ReadTablesAsync(reader, tables, cancellationToken).ConfigureAwait(false);
            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }

            return Orders(model, read).ToList();
        }
    }

    /// <summary>Reads one result set per table, in order, leaving the reader on the last one.</summary>
    private static async Task<List<(DeclaredTable Table, string[] Columns, List<object?[]> Rows)>> ReadTablesAsync(DbDataReader reader, List<DeclaredTable> tables, CancellationToken cancellationToken)
    {
        var read = new List<(DeclaredTable, string[], List<object?[]>)>(tables.Count);
        for (var t = 0; t < tables.Count; t++)
        {
            if (t > 0)
            {
                await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            }

            var columns = new string[reader.FieldCount];
            for (var i = 0; i < columns.Length; i++)
            {
                columns[i] = reader.GetName(i);
            }

            var rows = new List<object?[]>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var row = new object?[columns.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = SqlLiteral.Read(reader, i);
                }

                rows.Add(row);
            }

            read.Add((tables[t], columns, rows));
        }

        return read;
    }

    /// <summary>Groups the rows read into orders, in the order of the root rows.</summary>
    private static IEnumerable<UserSideState> Orders(TableModel model, List<(DeclaredTable Table, string[] Columns, List<object?[]> Rows)> read)
    {
        var root = model.Root;
        var (_, rootColumns, rootRows) = read[0];
        int id = Index(rootColumns, root.OrderIdColumn), user = Index(rootColumns, root.UserIdColumn!), merchant = Index(rootColumns, root.MerchantIdColumn!), version = Index(rootColumns, root.VersionColumn!);
        var children = new List<Dictionary<long, List<object?[]>>>();
        foreach (var (table, columns, rows) in read.Skip(1))
        {
            var at = Index(columns, table.OrderIdColumn);
            var byOrder = new Dictionary<long, List<object?[]>>();
            foreach (var row in rows)
            {
                var key = Convert.ToInt64(row[at], System.Globalization.CultureInfo.InvariantCulture);
                if (!byOrder.TryGetValue(key, out var list))
                {
                    byOrder[key] = list = [];
                }

                list.Add(row);
            }

            children.Add(byOrder);
        }

        foreach (var row in rootRows)
        {
            var orderId = Convert.ToInt64(row[id], System.Globalization.CultureInfo.InvariantCulture);
            var tables = new List<TableRows>(children.Count);
            for (var c = 0; c < children.Count; c++)
            {
                var (table, columns, _) = read[c + 1];
                tables.Add(new TableRows(table, columns, children[c].TryGetValue(orderId, out var list) ? list : []));
            }

            yield return new UserSideState(
                OrderId.FromValidatedValue(orderId),
                Convert.ToInt64(row[user], System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToInt64(row[merchant], System.Globalization.CultureInfo.InvariantCulture),
                Convert.ToInt64(row[version], System.Globalization.CultureInfo.InvariantCulture),
                new TableRows(root, rootColumns, [row]),
                tables);
        }
    }

    private static int Index(string[] columns, string column)
    {
        var index = Array.FindIndex(columns, c => c.Equals(column, StringComparison.OrdinalIgnoreCase));
        return index >= 0 ? index : throw new InvalidOperationException($"The rows read have no column {column}; check the declared tables with shardkit topology validate.");
    }
}

using System.Globalization;

namespace ShardKit.Orders;

/// <summary>
/// Binds an <see cref="OrderRow"/> to the declared tables as the user shards describe them: each value to its column
/// (by name, ignoring case, then ignoring underscores too), the order's keys read from the root's key columns and checked,
/// every problem named (the table, the column, what is allowed).
/// </summary>
internal static class RowBinder
{
    /// <summary>The bound order: its keys, its root row (without the version column) and the rows of the child tables it names.</summary>
    public sealed record Bound(OrderId Id, long UserId, long MerchantId, TableRows Root, List<TableRows> Children);

    /// <summary>Reads the keys of <paramref name="row"/> and checks them (no server involved).</summary>
    public static (OrderId Id, long UserId, long MerchantId) Keys(OrderRow row, TableModel model, ShardMap map)
    {
        ArgumentNullException.ThrowIfNull(row);
        var root = model.Root;
        var id = Long(Find(row, root.OrderIdColumn), root, root.OrderIdColumn);
        var user = Long(Find(row, root.UserIdColumn!), root, root.UserIdColumn!);
        var merchant = Long(Find(row, root.MerchantIdColumn!), root, root.MerchantIdColumn!);
        if (!OrderId.TryParse(id, map.GetShardCount(ShardDimension.User), out var orderId))
        {
            throw new ArgumentException($"{root.Name}.{root.OrderIdColumn} is {id}, which is not a ShardKit order ID; order IDs come from OrderIdGenerator.");
        }

        OrderValidation.ValidateKeys(orderId, user, merchant, map, $"{root.Name}.{root.OrderIdColumn}", $"{root.Name}.{root.UserIdColumn}", $"{root.Name}.{root.MerchantIdColumn}", "order");
        return (orderId, user, merchant);
    }

    /// <summary>
    /// Binds the row, whose keys <see cref="Keys"/> has read: the root's columns (the keys included, the version left to the store) and the child tables it names,
    /// each child row with the order-ID column set to the order's ID.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown table or column, a value for a generated column, a child table whose rows name different columns, or bad keys.</exception>
    public static Bound Bind(OrderRow row, (OrderId Id, long UserId, long MerchantId) keys, TableModel model, Func<DeclaredTable, TableShape> shapeOf)
    {
        var (id, user, merchant) = keys;
        var root = model.Root;
        var rootShape = shapeOf(root);
        var columns = new List<string>();
        var values = new List<object?>();
        foreach (var (name, value) in row.Values)
        {
            if (Column(rootShape, root, name, row.IsFromObject) is not { } column || column.Equals(root.VersionColumn, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (columns.Contains(column, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"{root.Name}: '{name}' names column {column} a second time.");
            }

            columns.Add(column);
            values.Add(Normalize(value));
        }

        var children = new List<TableRows>();
        foreach (var (tableName, rows) in row.Children)
        {
            var table = model.Find(tableName);
            if (table is null || table.Role != TableRole.Child)
            {
                throw new ArgumentException(
                    $"Unknown child table '{tableName}': the declared child tables are {(model.Children.Count == 0 ? "none" : string.Join(", ", model.Children.Select(c => c.Name)))}.");
            }

            children.Add(BindChild(table, shapeOf(table), id, rows ?? [], row.IsFromObject));
        }

        return new Bound(id, user, merchant, new TableRows(root, [.. columns], [[.. values]]), children);
    }

    private static TableRows BindChild(DeclaredTable table, TableShape shape, OrderId id, IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, bool fromObject)
    {
        string[]? columns = null;
        var bound = new List<object?[]>(rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            var names = new List<string>();
            var values = new List<object?>();
            foreach (var (name, value) in rows[r] ?? throw new ArgumentException($"Row {r} of {table.Name} is null."))
            {
                if (Column(shape, table, name, fromObject) is not { } column || column.Equals(table.OrderIdColumn, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                names.Add(column);
                values.Add(Normalize(value));
            }

            names.Insert(0, shape.Column(table.OrderIdColumn, "order", "column").Name);
            values.Insert(0, id.Value);
            if (columns is null)
            {
                columns = [.. names];
            }
            else if (!columns.SequenceEqual(names, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException(
                    $"{table.Name}: row {r} names the columns {string.Join(", ", names)}, row 0 names {string.Join(", ", columns)}; every row of a table names the same columns.");
            }

            bound.Add([.. values]);
        }

        return new TableRows(table, columns ?? [shape.Column(table.OrderIdColumn, "order", "column").Name], bound);
    }

    /// <summary>The column <paramref name="name"/> names, spelt as the server spells it; null for a generated column an object's property names.</summary>
    private static string? Column(TableShape shape, DeclaredTable table, string name, bool fromObject)
    {
        var column = shape.Columns.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? shape.Columns.FirstOrDefault(c => Plain(c.Name).Equals(Plain(name), StringComparison.OrdinalIgnoreCase));
        if (column is null)
        {
            throw new ArgumentException($"Unknown column '{name}' of table {table.Name}: its columns are {string.Join(", ", shape.AllColumns)}.");
        }

        if (column.IsGenerated)
        {
            return fromObject
                ? null
                : throw new ArgumentException($"Column {table.Name}.{column.Name} is generated: the server computes it, so it cannot be written.");
        }

        return column.Name;
    }

    private static string Plain(string name) => name.Replace("_", "", StringComparison.Ordinal);

    private static object? Find(OrderRow row, string column)
    {
        if (row.Values.TryGetValue(column, out var value))
        {
            return value;
        }

        foreach (var (name, v) in row.Values)
        {
            if (Plain(name).Equals(Plain(column), StringComparison.OrdinalIgnoreCase))
            {
                return v;
            }
        }

        throw new ArgumentException($"The order has no value for key column {column}; it names {string.Join(", ", row.Values.Keys)}.");
    }

    private static long Long(object? value, DeclaredTable table, string column) => value switch
    {
        OrderId id => id.Value,
        long l => l,
        int i => i,
        null => throw new ArgumentException($"{table.Name}.{column} is null; it must be a positive integer."),
        _ when long.TryParse(Convert.ToString(value, CultureInfo.InvariantCulture), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw new ArgumentException($"{table.Name}.{column} is not an integer."),
    };

    /// <summary>A value as the driver writes it: an <see cref="OrderId"/> as its number, a time in UTC, DBNull as null.</summary>
    public static object? Normalize(object? value) => value switch
    {
        OrderId id => id.Value,
        DateTimeOffset time => time.UtcDateTime,
        DBNull => null,
        _ => value,
    };
}

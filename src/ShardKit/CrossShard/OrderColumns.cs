using System.Collections.Frozen;

namespace ShardKit.CrossShard;

/// <summary>The columns of the built-in <c>orders</c> table (see <c>Schema/OrderSchema.cs</c>) that cross-shard queries may name.</summary>
internal static class OrderColumns
{
    /// <summary>The primary key, appended to every sort as the tiebreaker that makes the order total.</summary>
    public const string PrimaryKey = "order_id";

    /// <summary>Every column in table order.</summary>
    public static readonly IReadOnlyList<string> All =
        ["order_id", "user_id", "merchant_id", "status", "total_amount", "currency", "created_at", "updated_at", "version", "ext"];

    private static readonly FrozenDictionary<string, ColumnKind> s_kinds = new Dictionary<string, ColumnKind>(StringComparer.Ordinal)
    {
        ["order_id"] = ColumnKind.Int64,
        ["user_id"] = ColumnKind.Int64,
        ["merchant_id"] = ColumnKind.Int64,
        ["status"] = ColumnKind.String,
        ["total_amount"] = ColumnKind.Decimal,
        ["currency"] = ColumnKind.String,
        ["created_at"] = ColumnKind.DateTime,
        ["updated_at"] = ColumnKind.DateTime,
        ["version"] = ColumnKind.Int64,
        ["ext"] = ColumnKind.Json,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The kind of <paramref name="column"/>.</summary>
    /// <param name="column">The column name.</param>
    /// <param name="paramName">The caller's parameter, named in the error.</param>
    /// <param name="role">What the column is used for, named in the error (e.g. "sort column").</param>
    /// <exception cref="ArgumentException">The column is not an <c>orders</c> column.</exception>
    public static ColumnKind KindOf(string? column, string paramName, string role)
    {
        if (column is null || !s_kinds.TryGetValue(column, out var kind))
        {
            throw new ArgumentException(
                $"Unknown {role} '{column}': cross-shard queries name columns of the orders table, which are {string.Join(", ", All)}.",
                paramName);
        }

        return kind;
    }

    /// <summary>The SQL expression a column is sorted and grouped by: strings by their bytes, the rest as they are.</summary>
    public static string KeyExpression(string column, ColumnKind kind) =>
        kind == ColumnKind.String ? $"CAST(`{column}` AS BINARY)" : $"`{column}`";
}

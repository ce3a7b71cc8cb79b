using System.Reflection;
using Dapper;

namespace OrderService.Storage;

/// <summary>
/// The sample's own order tables, declared in appsettings.json (<c>ShardKit:Tables</c>) and created by
/// <c>sql/user.sql</c> and <c>sql/merchant.sql</c>; and the Dapper mapping of their rows.
/// </summary>
public static class ShopTables
{
    /// <summary>The root table: one row per order.</summary>
    public const string Orders = "shop_orders";

    /// <summary>The order lines, copied to the merchant shards.</summary>
    public const string Lines = "shop_order_lines";

    /// <summary>The buyer's notes, on user shards only.</summary>
    public const string Notes = "shop_order_notes";

    private static int s_mapped;

    /// <summary>
    /// The path of the DDL of a dimension's shards (<c>user</c> or <c>merchant</c>), next to the built service:
    /// what <c>shardkit schema apply --sql PATH --dimension user|merchant</c> runs.
    /// </summary>
    /// <param name="dimension"><c>user</c> or <c>merchant</c>.</param>
    public static string ScriptPath(string dimension) =>
        dimension is "user" or "merchant"
            ? Path.Combine(AppContext.BaseDirectory, "sql", dimension + ".sql")
            : throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The dimension must be 'user' or 'merchant'.");

    /// <summary>
    /// Maps the snake_case columns of the sample's tables to the PascalCase properties of its row types
    /// (<c>shipping_address</c> to <c>ShippingAddress</c>) for those types only, leaving Dapper's global settings alone.
    /// </summary>
    internal static void MapRows()
    {
        if (Interlocked.Exchange(ref s_mapped, 1) == 1)
        {
            return;
        }

        foreach (var type in new[] { typeof(ShopOrderRow), typeof(ShopOrderLineRow), typeof(ShopOrderNoteRow) })
        {
            SqlMapper.SetTypeMap(type, new CustomPropertyTypeMap(type, (t, column) => Property(t, column)!));
        }
    }

    private static PropertyInfo? Property(Type type, string column) =>
        type.GetProperty(column.Replace("_", "", StringComparison.Ordinal), BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
}

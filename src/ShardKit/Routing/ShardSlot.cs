using System.Collections.Concurrent;

namespace ShardKit.Routing;

/// <summary>
/// Everything known about one logical shard in one compiled map: where it lives, its physical names
/// and the SQL templates already expanded for it. A <see cref="ShardRoute"/> is a reference to one.
/// </summary>
internal sealed class ShardSlot
{
    /// <summary>Beyond this many distinct templates per shard, expansions are no longer cached.</summary>
    internal const int MaxCachedTemplates = 1024;

    private readonly ConcurrentDictionary<string, string> _sql = new(StringComparer.Ordinal);

    public ShardSlot(ShardMap map, ShardDimension dimension, int shard, string schema, ShardCluster cluster)
    {
        Map = map;
        Dimension = dimension;
        Shard = shard;
        Schema = schema;
        Cluster = cluster;
        Name = FormatName(dimension, shard);
        QuotedSchema = "`" + schema + "`";
        OrdersTable = QuotedSchema + ".`orders`";
        OrderItemsTable = QuotedSchema + ".`order_items`";
    }

    public ShardMap Map { get; }

    public ShardDimension Dimension { get; }

    public int Shard { get; }

    /// <summary><c>user:17</c> or <c>merchant:17</c>.</summary>
    public string Name { get; }

    public string Schema { get; }

    public string QuotedSchema { get; }

    public string OrdersTable { get; }

    public string OrderItemsTable { get; }

    public ShardCluster Cluster { get; }

    /// <summary>Expands <paramref name="template"/> for this shard, from the cache after the first call.</summary>
    public string ExpandSql(string template)
    {
        if (_sql.TryGetValue(template, out var sql))
        {
            return sql;
        }

        sql = SqlTemplate.Expand(template, this);
        if (_sql.Count < MaxCachedTemplates)
        {
            _sql.TryAdd(template, sql);
        }

        return sql;
    }

    public static string FormatName(ShardDimension dimension, int shard) =>
        string.Concat(DimensionName(dimension), ":", shard.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string DimensionName(ShardDimension dimension) => dimension == ShardDimension.User ? "user" : "merchant";
}

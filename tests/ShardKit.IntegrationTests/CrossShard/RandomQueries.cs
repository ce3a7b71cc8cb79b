using System.Globalization;
using System.Text;

namespace ShardKit.IntegrationTests.CrossShard;

/// <summary>
/// Random queries of the supported shapes, each with the same query written by hand for the unsharded table
/// (strings sort and group by their bytes, the order ID completes the sort).
/// </summary>
public static class RandomQueries
{
    private static readonly string[] s_sortable = ["user_id", "merchant_id", "status", "total_amount", "currency", "created_at", "updated_at", "version", "order_id"];
    private static readonly string[] s_groupable = ["status", "currency", "version", "merchant_id"];

    public static (string? Filter, Dictionary<string, object?> Parameters) Filter(Random random)
    {
        var status = random.Next(8) == 0 ? "no-such-status" : TestOrder.Statuses[random.Next(TestOrder.Statuses.Length)];
        return random.Next(7) switch
        {
            0 => (null, []),
            1 => ("status = @status", new() { ["status"] = status }),
            2 => ("total_amount >= @min", new() { ["min"] = random.Next(-10, 110) + 0.25m }),
            3 => ("created_at < @before AND currency = @currency", new()
            {
                ["before"] = TestOrder.Epoch.AddMinutes(random.Next(-10, 620)),
                ["currency"] = TestOrder.Currencies[random.Next(TestOrder.Currencies.Length)],
            }),
            4 => ("user_id % 3 = @r", new() { ["r"] = random.Next(3) }),
            5 => ("status IN @statuses", new() { ["statuses"] = TestOrder.Statuses.Where(_ => random.Next(2) == 0).Append("none").ToArray() }),
            _ => ("version BETWEEN @lo AND @hi AND status <> @status", new() { ["lo"] = random.Next(1, 4), ["hi"] = random.Next(2, 6), ["status"] = status }),
        };
    }

    public static int[]? Shards(Random random) =>
        random.Next(10) < 7 ? null : Enumerable.Range(0, 120).Where(_ => random.Next(6) == 0).DefaultIfEmpty(random.Next(120)).ToArray();

    public static CrossShardSort[] Sort(Random random) =>
        s_sortable.OrderBy(_ => random.Next()).Take(random.Next(4)).Select(c => new CrossShardSort(c, random.Next(2) == 0)).ToArray();

    public static string[] GroupBy(Random random) => s_groupable.OrderBy(_ => random.Next()).Take(random.Next(3)).ToArray();

    public static CrossShardAggregate[] Aggregates(Random random)
    {
        CrossShardAggregate[] all =
        [
            CrossShardAggregate.Count(), CrossShardAggregate.Count("ext"), CrossShardAggregate.Sum("total_amount"), CrossShardAggregate.Sum("version"),
            CrossShardAggregate.Min("total_amount"), CrossShardAggregate.Max("total_amount"), CrossShardAggregate.Min("created_at"),
            CrossShardAggregate.Max("updated_at"), CrossShardAggregate.Min("order_id"), CrossShardAggregate.Avg("total_amount"), CrossShardAggregate.Avg("version"),
        ];
        return all.OrderBy(_ => random.Next()).Take(1 + random.Next(4)).ToArray();
    }

    public static string Expression(string column) => column is "status" or "currency" ? $"CAST({column} AS BINARY)" : column;

    /// <summary><c>SELECT order_id FROM the unsharded table WHERE ... ORDER BY ... LIMIT n</c>.</summary>
    public static string ReferenceRows(string? filter, int[]? shards, IReadOnlyList<CrossShardSort> sort, int limit)
    {
        var sql = new StringBuilder($"SELECT order_id FROM {CrossShardFixture.FlatTable}").Append(Where(filter, shards)).Append(" ORDER BY ");
        foreach (var term in sort)
        {
            sql.Append(Expression(term.Column)).Append(term.Descending ? " DESC, " : " ASC, ");
        }

        if (!sort.Any(s => s.Column == "order_id"))
        {
            sql.Append("order_id").Append(sort.Count > 0 && sort[^1].Descending ? " DESC" : " ASC");
        }
        else
        {
            sql.Length -= 2;
        }

        return sql.Append(" LIMIT ").Append(limit.ToString(CultureInfo.InvariantCulture)).ToString();
    }

    /// <summary>The aggregate query on the unsharded table, grouped and ordered by the group columns.</summary>
    public static string ReferenceAggregate(string? filter, int[]? shards, IReadOnlyList<string> groupBy, IReadOnlyList<CrossShardAggregate> aggregates)
    {
        var keys = string.Join(", ", groupBy.Select(Expression));
        var select = string.Join(", ", groupBy.Select(Expression).Concat(aggregates.Select(a => a.ToString())));
        var sql = $"SELECT {select} FROM {CrossShardFixture.FlatTable}{Where(filter, shards)}";
        return groupBy.Count == 0 ? sql : $"{sql} GROUP BY {keys} ORDER BY {keys}";
    }

    public static string Describe(string? filter, IReadOnlyDictionary<string, object?> parameters, int[]? shards) =>
        $"filter [{filter}] parameters [{string.Join(", ", parameters.Select(p => $"{p.Key}={(p.Value is string[] a ? string.Join("|", a) : p.Value)}"))}] " +
        $"shards [{(shards is null ? "all" : string.Join(",", shards))}]";

    private static string Where(string? filter, int[]? shards)
    {
        var clauses = new List<string>();
        if (filter is not null)
        {
            clauses.Add($"({filter})");
        }

        if (shards is not null)
        {
            clauses.Add($"shard IN ({string.Join(",", shards)})");
        }

        return clauses.Count == 0 ? "" : " WHERE " + string.Join(" AND ", clauses);
    }
}

using System.Data.Common;
using Dapper;

namespace ShardKit.Tables;

/// <summary>
/// Checks the declared tables (<see cref="ShardMap.Tables"/>) against every shard's <c>information_schema</c>: each
/// table exists where the model puts it, its key columns exist with integer types, a merchant projection's columns
/// exist on both dimensions with the same types, and all shards of a dimension have the same shape. It reads one
/// statement per cluster and writes nothing. <c>shardkit topology validate</c> and a service's start-up run it.
/// </summary>
public sealed class TableModelChecker
{
    private const string ReadColumns = """
        SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE, IFNULL(GENERATION_EXPRESSION, '') <> '' AS generated
        FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA IN @Schemas AND TABLE_NAME IN @Tables
        ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION
        """;

    private static readonly string[] s_idTypes = ["bigint"];
    private static readonly string[] s_versionTypes = ["bigint", "int", "mediumint", "smallint", "tinyint"];

    private readonly ShardKitDataSource _dataSource;

    /// <summary>Creates a checker of <paramref name="dataSource"/>'s shards and table model.</summary>
    public TableModelChecker(ShardKitDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
    }

    /// <summary>Reads every shard's tables (one statement per cluster primary) and compares them with the model.</summary>
    /// <param name="cancellationToken">Stops the check.</param>
    public async Task<TableCheckResult> CheckAsync(CancellationToken cancellationToken = default)
    {
        var map = _dataSource.Map;
        var model = map.Tables;
        var routes = map.GetRoutes(ShardDimension.User).Concat(map.GetRoutes(ShardDimension.Merchant)).ToList();
        var columns = new Dictionary<(string Schema, string Table), List<ColumnShape>>();
        var unreachable = new List<string>();
        var problems = new List<TableProblem>();
        var tableNames = model.Tables.Select(t => t.Name).ToArray();
        foreach (var cluster in routes.GroupBy(r => r.Cluster.Name, StringComparer.OrdinalIgnoreCase))
        {
            try
            {
                var shard = await _dataSource.OpenAsync(cluster.First(), ShardIntent.Write, cancellationToken).ConfigureAwait(false);
                await using (shard.ConfigureAwait(false))
                {
                    var rows = await shard.Connection.QueryAsync<(string Schema, string Table, string Column, string DataType, string ColumnType, string Nullable, bool Generated)>(
                        new CommandDefinition(ReadColumns, new { Schemas = cluster.Select(r => r.Schema).Distinct().ToArray(), Tables = tableNames }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    foreach (var row in rows)
                    {
                        var key = (row.Schema, row.Table);
                        if (!columns.TryGetValue(key, out var list))
                        {
                            columns[key] = list = [];
                        }

                        list.Add(new ColumnShape(row.Column, row.DataType.ToLowerInvariant(), row.ColumnType, row.Nullable == "YES", row.Generated));
                    }
                }
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                unreachable.Add(cluster.Key);
                problems.Add(new TableProblem(null, null, null, $"cluster {cluster.Key}: its tables could not be read ({ex.Message})"));
            }
        }

        var shapes = new Dictionary<(ShardDimension, string), IReadOnlyList<ColumnShape>>();
        var checkedShards = 0;
        foreach (var dimension in new[] { ShardDimension.User, ShardDimension.Merchant })
        {
            var reached = routes.Where(r => r.Dimension == dimension && !unreachable.Contains(r.Cluster.Name, StringComparer.OrdinalIgnoreCase)).ToList();
            checkedShards += reached.Count;
            foreach (var table in model.In(dimension))
            {
                var present = reached.Where(r => columns.ContainsKey((r.Schema, table.Name))).ToList();
                foreach (var missing in reached.Except(present))
                {
                    problems.Add(new TableProblem(missing.Name, table.Name, null, $"{Where(missing)}: table {table.Name} does not exist"));
                }

                if (present.Count == 0)
                {
                    continue;
                }

                // The shape most shards have is the reference; every other shard is reported against it.
                var reference = present.GroupBy(r => Signature(columns[(r.Schema, table.Name)]), StringComparer.Ordinal)
                    .OrderByDescending(g => g.Count()).ThenBy(g => g.Min(r => r.Shard)).First();
                var shape = columns[(reference.First().Schema, table.Name)];
                shapes[(dimension, table.Name)] = shape;
                foreach (var route in present.Where(r => !reference.Contains(r)))
                {
                    problems.Add(new TableProblem(route.Name, table.Name, null,
                        $"{Where(route)}: table {table.Name} differs from the other {dimension.ToString().ToLowerInvariant()} shards ({reference.Count()} of them, e.g. {reference.First().Name}): {Difference(shape, columns[(route.Schema, table.Name)])}"));
                }

                CheckKeys(table, dimension, shape, reference.First(), problems);
            }
        }

        CheckMerchantCopies(model, shapes, routes, problems);
        return new TableCheckResult(problems, unreachable, shapes, checkedShards);
    }

    private static void CheckKeys(DeclaredTable table, ShardDimension dimension, IReadOnlyList<ColumnShape> shape, ShardRoute example, List<TableProblem> problems)
    {
        foreach (var (column, purpose) in table.KeyColumns())
        {
            var found = shape.FirstOrDefault(c => c.Name.Equals(column, StringComparison.OrdinalIgnoreCase));
            var allowed = purpose == "version" ? s_versionTypes : s_idTypes;
            if (found is null)
            {
                problems.Add(new TableProblem(example.Name, table.Name, column,
                    $"{Where(example)} (and every {dimension.ToString().ToLowerInvariant()} shard like it): table {table.Name} has no {purpose} column {column}"));
            }
            else if (!allowed.Contains(found.DataType))
            {
                problems.Add(new TableProblem(example.Name, table.Name, column,
                    $"{Where(example)} (and every {dimension.ToString().ToLowerInvariant()} shard like it): {table.Name}.{column}, the {purpose} column, is {found.ColumnType.ToUpperInvariant()}; it must be {string.Join(" or ", allowed.Select(t => t.ToUpperInvariant()))}"));
            }
        }
    }

    private static void CheckMerchantCopies(TableModel model, Dictionary<(ShardDimension, string), IReadOnlyList<ColumnShape>> shapes, List<ShardRoute> routes, List<TableProblem> problems)
    {
        foreach (var table in model.Tables.Where(t => t.MerchantCopy != MerchantCopy.None))
        {
            if (!shapes.TryGetValue((ShardDimension.User, table.Name), out var user) || !shapes.TryGetValue((ShardDimension.Merchant, table.Name), out var merchant))
            {
                continue;
            }

            var example = routes.First(r => r.Dimension == ShardDimension.Merchant);
            var wanted = table.MerchantCopy == MerchantCopy.All ? user.Select(c => c.Name) : table.MerchantColumns;
            foreach (var name in wanted)
            {
                var userColumn = user.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                var merchantColumn = merchant.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                if (userColumn is null)
                {
                    problems.Add(new TableProblem(null, table.Name, name, $"the user shards' table {table.Name} has no column {name}, which its merchant copy lists"));
                }
                else if (merchantColumn is null)
                {
                    problems.Add(new TableProblem(example.Name, table.Name, name, $"the merchant shards' table {table.Name} (e.g. {Where(example)}) has no column {name}, which the merchant copy keeps ({userColumn})"));
                }
                else if (!string.Equals(userColumn.ColumnType, merchantColumn.ColumnType, StringComparison.OrdinalIgnoreCase) || userColumn.IsNullable != merchantColumn.IsNullable)
                {
                    problems.Add(new TableProblem(example.Name, table.Name, name, $"{table.Name}.{name} is {userColumn} on the user shards but {merchantColumn} on the merchant shards"));
                }
            }
        }
    }

    private static string Where(ShardRoute route) => $"shard {route.Name} (cluster {route.Cluster.Name}, schema {route.Schema})";

    // Column order is not part of the shape: ShardKit names columns in every statement it writes.
    private static string Signature(IReadOnlyList<ColumnShape> columns) =>
        string.Join("|", columns.Select(c => c.ToString().ToLowerInvariant()).Order(StringComparer.Ordinal));

    private static string Difference(IReadOnlyList<ColumnShape> expected, IReadOnlyList<ColumnShape> actual)
    {
        var parts = new List<string>();
        foreach (var column in expected)
        {
            var other = actual.FirstOrDefault(c => c.Name.Equals(column.Name, StringComparison.OrdinalIgnoreCase));
            if (other is null)
            {
                parts.Add($"column {column.Name} is missing");
            }
            else if (other != column)
            {
                parts.Add($"column {other} where the others have {column}");
            }
        }

        parts.AddRange(actual.Where(c => !expected.Any(e => e.Name.Equals(c.Name, StringComparison.OrdinalIgnoreCase))).Select(c => $"extra column {c}"));
        return string.Join("; ", parts);
    }
}

namespace ShardKit.Migration;

/// <summary>
/// The compiled <c>ShardKit:LegacyTables</c> section: for every table of the user dimension, the legacy table its rows come
/// from, the legacy key column (the root's legacy order key; a child's column holding it) and the legacy name of each
/// column. Without a section every table maps to the legacy table and columns of the same names.
/// </summary>
internal sealed class LegacyTables
{
    private LegacyTables(TableModel model, IReadOnlyList<LegacyTable> tables)
    {
        Model = model;
        Tables = tables;
        IsSameNames = tables.All(t => t.Name.Equals(t.Table.Name, StringComparison.OrdinalIgnoreCase) && t.KeyColumn.Equals(t.Table.OrderIdColumn, StringComparison.OrdinalIgnoreCase) && t.Renames == 0);
    }

    /// <summary>Whether every legacy table, key and column has its declared name (no <c>ShardKit:LegacyTables</c> renames).</summary>
    public bool IsSameNames { get; }

    public TableModel Model { get; }

    /// <summary>The user dimension's tables (root first), each with its legacy table.</summary>
    public IReadOnlyList<LegacyTable> Tables { get; }

    public LegacyTable Root => Tables[0];

    /// <summary>The mapping of <paramref name="model"/> with every name as declared (no section).</summary>
    public static LegacyTables SameNames(TableModel model) =>
        new(model, model.In(ShardDimension.User).Select(t => new LegacyTable(t, t.Name, t.OrderIdColumn, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase))).ToList());

    /// <summary>Compiles the section against <paramref name="model"/>; every problem goes to <paramref name="errors"/>, naming its entry.</summary>
    internal static LegacyTables? Compile(LegacyTablesOptions? options, TableModel? model, List<string> errors)
    {
        if (model is null)
        {
            return null;
        }

        if (options is null)
        {
            return SameNames(model);
        }

        var before = errors.Count;
        var declared = model.In(ShardDimension.User).ToList();
        var entries = new Dictionary<string, (LegacyTableOptions Options, string Entry)>(StringComparer.OrdinalIgnoreCase);
        if (options.Root is { } root)
        {
            if (!string.IsNullOrEmpty(root.Table) && !root.Table.Equals(model.Root.Name, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"LegacyTables:Root:Table '{root.Table}' is not the root table; the root entry fills {model.Root.Name}");
            }

            entries[model.Root.Name] = (root, "LegacyTables:Root");
        }

        for (var i = 0; i < (options.Children?.Count ?? 0); i++)
        {
            var entry = $"LegacyTables:Children:{i}";
            var child = options.Children![i];
            if (child is null || string.IsNullOrEmpty(child.Table))
            {
                errors.Add($"{entry}:Table is empty; name the declared child table this legacy table fills");
                continue;
            }

            var table = declared.Skip(1).FirstOrDefault(t => t.Name.Equals(child.Table, StringComparison.OrdinalIgnoreCase));
            if (table is null)
            {
                errors.Add($"{entry}:Table '{child.Table}' is not a declared child table on user shards (declared: {string.Join(", ", declared.Skip(1).Select(t => t.Name))})");
            }
            else if (!entries.TryAdd(table.Name, (child, entry)))
            {
                errors.Add($"{entry}:Table '{child.Table}' is mapped twice");
            }
        }

        var tables = new List<LegacyTable>(declared.Count);
        var legacyNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var table in declared)
        {
            var (entryOptions, entry) = entries.TryGetValue(table.Name, out var found) ? found : (new LegacyTableOptions(), $"LegacyTables ({table.Name})");
            var name = string.IsNullOrEmpty(entryOptions.Name) ? table.Name : entryOptions.Name;
            var key = string.IsNullOrEmpty(entryOptions.KeyColumn) ? table.OrderIdColumn : entryOptions.KeyColumn;
            TableModel.CheckName(name, entry + ":Name", errors);
            TableModel.CheckName(key, entry + ":KeyColumn", errors);
            if (name.StartsWith("shardkit_", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{entry}:Name '{name}' is reserved for ShardKit's own tables");
            }

            if (!legacyNames.Add(name))
            {
                errors.Add($"{entry}:Name '{name}' fills two declared tables; each legacy table fills one");
            }

            var columns = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (column, legacy) in entryOptions.Columns ?? new Dictionary<string, string>())
            {
                TableModel.CheckName(column, $"{entry}:Columns", errors);
                TableModel.CheckName(legacy, $"{entry}:Columns:{column}", errors);
                if (column.Equals(table.OrderIdColumn, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{entry}:Columns maps {column}, the order-ID column; it holds the ShardKit order ID, which the import gives each order (the legacy key is {key})");
                }
                else if (legacy.Equals(key, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{entry}:Columns:{column} is the key column {key}; the legacy key is not copied as a column");
                }
                else if (legacy.StartsWith("shardkit_", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{entry}:Columns:{column} '{legacy}' is one of the columns the import adds");
                }
                else
                {
                    columns[column] = legacy;
                }
            }

            tables.Add(new LegacyTable(table, name, key, columns));
        }

        return errors.Count > before ? null : new LegacyTables(model, tables);
    }
}

/// <summary>One declared table's legacy table: its name, its key column and the legacy names of its columns.</summary>
internal sealed class LegacyTable(DeclaredTable table, string name, string keyColumn, IReadOnlyDictionary<string, string> columns)
{
    /// <summary>The declared (sharded) table.</summary>
    public DeclaredTable Table { get; } = table;

    /// <summary>The legacy table's name.</summary>
    public string Name { get; } = name;

    /// <summary>The root's legacy order key, or a child's column holding it.</summary>
    public string KeyColumn { get; } = keyColumn;

    /// <summary>How many columns have a legacy name of their own.</summary>
    public int Renames => columns.Count;

    /// <summary>The legacy name of the declared column <paramref name="column"/>.</summary>
    public string ColumnOf(string column) => columns.TryGetValue(column, out var legacy) ? legacy : column;
}

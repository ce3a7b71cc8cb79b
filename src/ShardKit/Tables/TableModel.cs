using System.Text.RegularExpressions;

namespace ShardKit.Tables;

/// <summary>
/// A team's sharded order tables, compiled from <see cref="ShardTablesOptions"/>: one root table and its child tables,
/// each with what the merchant dimension keeps. Every feature reads its tables from here; routed SQL names them with
/// placeholders (<c>{orders}</c>, <c>{order_payments}</c>).
/// </summary>
public sealed partial class TableModel
{
    private readonly Dictionary<string, DeclaredTable> _byName;

    private TableModel(DeclaredTable root, IReadOnlyList<DeclaredTable> children, bool isDeclared, bool checkAtStartup = false)
    {
        CheckAtStartup = checkAtStartup;
        Root = root;
        Children = children;
        Tables = [root, .. children];
        IsDeclared = isDeclared;
        _byName = Tables.ToDictionary(t => t.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// ShardKit's built-in order schema as a declaration: root <c>orders</c> (<c>order_id</c>, <c>user_id</c>,
    /// <c>merchant_id</c>, <c>version</c>) and child <c>order_items</c>, both copied whole to the merchant dimension.
    /// </summary>
    public static TableModel BuiltIn { get; } = new(
        new DeclaredTable("orders", TableRole.Root, "order_id", "user_id", "merchant_id", "version", MerchantCopy.All, []),
        [new DeclaredTable("order_items", TableRole.Child, "order_id", null, null, null, MerchantCopy.All, [])],
        isDeclared: false);

    /// <summary>The root table (one row per order).</summary>
    public DeclaredTable Root { get; }

    /// <summary>The child tables, in declaration order.</summary>
    public IReadOnlyList<DeclaredTable> Children { get; }

    /// <summary>The root table, then the child tables.</summary>
    public IReadOnlyList<DeclaredTable> Tables { get; }

    /// <summary>Whether the configuration declared the tables (false: the built-in schema).</summary>
    public bool IsDeclared { get; }

    /// <summary>Whether a service checks the declared tables against the shards when it starts (<see cref="ShardTablesOptions.CheckAtStartup"/>).</summary>
    public bool CheckAtStartup { get; }

    /// <summary>The declared table named <paramref name="name"/> (case-insensitive), or <see langword="null"/>.</summary>
    public DeclaredTable? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The tables <paramref name="dimension"/>'s shards hold.</summary>
    public IEnumerable<DeclaredTable> In(ShardDimension dimension) => Tables.Where(t => t.IsIn(dimension));

    /// <summary>Compiles a declaration; <see langword="null"/> gives <see cref="BuiltIn"/>. Every problem goes to <paramref name="errors"/>, each naming the entry.</summary>
    internal static TableModel? Compile(ShardTablesOptions? options, List<string> errors)
    {
        if (options is null)
        {
            return BuiltIn;
        }

        var before = errors.Count;
        if (options.Root is null)
        {
            errors.Add("Tables:Root is missing: declare the root table (one row per order) with its order-ID, user-ID, merchant-ID and version columns");
            return null;
        }

        var root = CompileTable(options.Root, "Tables:Root", TableRole.Root, errors);
        var children = new List<DeclaredTable>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { options.Root.Name };
        for (var i = 0; i < (options.Children?.Count ?? 0); i++)
        {
            var child = options.Children![i];
            var entry = $"Tables:Children:{i}";
            if (child is null)
            {
                errors.Add($"{entry} is empty");
                continue;
            }

            if (!string.IsNullOrEmpty(child.Name) && !names.Add(child.Name))
            {
                errors.Add($"{entry}:Name '{child.Name}' is declared twice");
            }

            if (CompileTable(child, entry, TableRole.Child, errors) is { } table)
            {
                children.Add(table);
            }
        }

        return errors.Count > before || root is null ? null : new TableModel(root, children, isDeclared: true, options.CheckAtStartup);
    }

    private static DeclaredTable? CompileTable(TableOptions table, string entry, TableRole role, List<string> errors)
    {
        var before = errors.Count;
        CheckName(table.Name, entry + ":Name", errors);
        if (!string.IsNullOrEmpty(table.Name) && (table.Name.StartsWith("shardkit_", StringComparison.OrdinalIgnoreCase) || table.Name.Equals("schema", StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"{entry}:Name '{table.Name}' is reserved for ShardKit's own tables");
        }

        CheckName(table.OrderIdColumn, entry + ":OrderIdColumn", errors);
        string? user = null, merchant = null, version = null;
        if (role == TableRole.Root)
        {
            user = table.UserIdColumn ?? "user_id";
            merchant = table.MerchantIdColumn ?? "merchant_id";
            version = table.VersionColumn ?? "version";
            CheckName(user, entry + ":UserIdColumn", errors);
            CheckName(merchant, entry + ":MerchantIdColumn", errors);
            CheckName(version, entry + ":VersionColumn", errors);
            if (table.MerchantCopy == MerchantCopy.None)
            {
                errors.Add($"{entry}:MerchantCopy is None; the root table is always copied to the merchant dimension (All or Columns)");
            }
        }
        else
        {
            foreach (var (value, name) in new[] { (table.UserIdColumn, "UserIdColumn"), (table.MerchantIdColumn, "MerchantIdColumn"), (table.VersionColumn, "VersionColumn") })
            {
                if (value is not null)
                {
                    errors.Add($"{entry}:{name} is set on child table '{table.Name}'; only the root table has it (a child follows its order by {table.OrderIdColumn})");
                }
            }
        }

        if (!Enum.IsDefined(table.MerchantCopy))
        {
            errors.Add($"{entry}:MerchantCopy is {(int)table.MerchantCopy}; it must be All, Columns or None");
        }

        var merchantColumns = new List<string>();
        var listed = table.MerchantColumns ?? [];
        if (table.MerchantCopy == MerchantCopy.Columns)
        {
            if (listed.Count == 0)
            {
                errors.Add($"{entry}:MerchantColumns is empty; MerchantCopy Columns needs the columns the merchant copy keeps");
            }

            var keys = new[] { table.OrderIdColumn, user, merchant, version }.OfType<string>();
            foreach (var column in keys.Concat(listed))
            {
                CheckName(column, entry + ":MerchantColumns", errors);
                if (!string.IsNullOrEmpty(column) && !merchantColumns.Contains(column, StringComparer.OrdinalIgnoreCase))
                {
                    merchantColumns.Add(column);
                }
            }
        }
        else if (listed.Count > 0)
        {
            errors.Add($"{entry}:MerchantColumns is set but MerchantCopy is {table.MerchantCopy}; list columns only with MerchantCopy Columns");
        }

        return errors.Count > before
            ? null
            : new DeclaredTable(table.Name, role, table.OrderIdColumn, user, merchant, version, table.MerchantCopy, merchantColumns);
    }

    /// <summary>Reports <paramref name="name"/> (the entry <paramref name="entry"/>) when it is empty or not a plain identifier.</summary>
    internal static void CheckName(string? name, string entry, List<string> errors)
    {
        if (string.IsNullOrEmpty(name))
        {
            errors.Add($"{entry} is empty");
        }
        else if (!IdentifierPattern().IsMatch(name))
        {
            errors.Add($"{entry} '{name}' is not a plain identifier (letters, digits, _ and $; at most 64 characters)");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_$]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();
}

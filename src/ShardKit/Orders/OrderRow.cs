using System.Collections.Concurrent;
using System.Reflection;

namespace ShardKit.Orders;

/// <summary>
/// An order of the declared tables (<see cref="TableModel"/>), as <see cref="TwoDimensionOrderStore"/> writes and reads
/// it: the root table's columns, and the rows of its child tables. Columns are named as in the tables (case-insensitive);
/// an object's properties (<see cref="FromObject"/>) match them by name, ignoring case and underscores (<c>TradeNo</c> is
/// <c>trade_no</c>), the way Dapper maps them with <c>MatchNamesWithUnderscores</c>.
/// </summary>
/// <remarks>
/// The root values must hold the order-ID, user-ID and merchant-ID columns. The store sets the version column (1 on
/// create, one more on every update) and the child rows' order-ID column; values given for them are ignored. Generated
/// columns are computed by the server: an object's properties for them are skipped, a value given by name is refused.
/// </remarks>
public sealed class OrderRow
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>> s_noChildren =
        new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>();

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> s_properties = new();

    /// <summary>Creates an order from column values.</summary>
    /// <param name="values">The root table's columns by name.</param>
    /// <param name="children">Per child table (by name), its rows of this order; a table left out has no rows on create and is left as it is on update.</param>
    public OrderRow(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>? children = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        Values = values;
        Children = children ?? s_noChildren;
    }

    private OrderRow(IReadOnlyDictionary<string, object?> values, IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>> children, bool fromObject)
        : this(values, children)
    {
        IsFromObject = fromObject;
    }

    /// <summary>The root table's columns by name.</summary>
    public IReadOnlyDictionary<string, object?> Values { get; }

    /// <summary>Per child table (by name), its rows of this order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>> Children { get; }

    /// <summary>The order's version (set on orders the store returns; 0 on an order built to be written).</summary>
    public long Version { get; init; }

    /// <summary>
    /// On an order a store write returned: the token of that write, to pass to a later read (<see cref="ReadOptions.CausalToken"/>)
    /// so that a replica serves it only once it has the write. Null otherwise.
    /// </summary>
    public CausalToken? CausalToken { get; init; }

    /// <summary>Whether the values came from an object's properties (generated columns are then skipped, not refused).</summary>
    internal bool IsFromObject { get; }

    /// <summary>The root column <paramref name="column"/>.</summary>
    /// <exception cref="KeyNotFoundException">The order has no such column; the message lists the columns it has.</exception>
    public object? this[string column] => Values.TryGetValue(column, out var value)
        ? value
        : throw new KeyNotFoundException($"The order has no column '{column}'; it has {string.Join(", ", Values.Keys)}.");

    /// <summary>The rows of child table <paramref name="table"/> (empty when the order has none there).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> ChildRows(string table) =>
        Children.TryGetValue(table, out var rows) ? rows : [];

    /// <summary>
    /// An order from objects: the public properties of <paramref name="root"/> are the root table's columns, and those of
    /// each object of <paramref name="children"/> the columns of that child table's rows (a Dapper POCO works as it is).
    /// </summary>
    /// <param name="root">The root row, for example a <c>TradeOrder</c> POCO.</param>
    /// <param name="children">Per child table (by name), its rows as objects.</param>
    public static OrderRow FromObject(object root, IReadOnlyDictionary<string, IEnumerable<object>>? children = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var rows = new Dictionary<string, IReadOnlyList<IReadOnlyDictionary<string, object?>>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (table, objects) in children ?? new Dictionary<string, IEnumerable<object>>())
        {
            rows[table] = (objects ?? throw new ArgumentException($"The rows of child table {table} are null.", nameof(children)))
                .Select(o => (IReadOnlyDictionary<string, object?>)Properties(o ?? throw new ArgumentException($"A row of child table {table} is null.", nameof(children))))
                .ToList();
        }

        return new OrderRow(Properties(root), rows, fromObject: true);
    }

    private static Dictionary<string, object?> Properties(object value)
    {
        var properties = s_properties.GetOrAdd(
            value.GetType(),
            static type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0).ToArray());
        var values = new Dictionary<string, object?>(properties.Length, StringComparer.OrdinalIgnoreCase);
        foreach (var property in properties)
        {
            values[property.Name] = property.GetValue(value);
        }

        return values;
    }

    /// <summary>Returns for example <c>order v2 (24 columns, 3 child rows)</c>.</summary>
    public override string ToString() => $"order v{Version} ({Values.Count} columns, {Children.Values.Sum(r => r.Count)} child rows)";
}

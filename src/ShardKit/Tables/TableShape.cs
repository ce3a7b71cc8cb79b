using ShardKit.Tables;

namespace ShardKit.Tables;

/// <summary>
/// A declared table as cross-shard queries see it on one dimension: its columns with the server's types (and so their
/// <see cref="ColumnKind"/>), and the columns that complete any sort into a total order (the order-ID column of the root
/// table, the primary key of a child table).
/// </summary>
internal sealed class TableShape
{
    private readonly Dictionary<string, (ColumnShape Shape, ColumnKind Kind)> _byName;

    public TableShape(string name, IReadOnlyList<ColumnShape> columns, IReadOnlyList<string> tiebreaker, bool fromServer)
    {
        Name = name;
        Columns = columns;
        Tiebreaker = tiebreaker;
        FromServer = fromServer;
        _byName = new Dictionary<string, (ColumnShape, ColumnKind)>(StringComparer.OrdinalIgnoreCase);
        foreach (var column in columns)
        {
            _byName[column.Name] = (column, ColumnKinds.Of(column));
        }

        AllColumns = columns.Select(c => c.Name).ToArray();
        ReadAt = Environment.TickCount64;
    }

    /// <summary>When the shape was read (<see cref="Environment.TickCount64"/>): a missing column triggers a new read at most once a second.</summary>
    public long ReadAt { get; }

    /// <summary>The table's name in every shard's schema.</summary>
    public string Name { get; }

    /// <summary>The columns in table order.</summary>
    public IReadOnlyList<ColumnShape> Columns { get; }

    /// <summary>The column names in table order.</summary>
    public string[] AllColumns { get; }

    /// <summary>The columns appended to every sort (unless already in it) so that no two rows tie; empty when the table has no key.</summary>
    public IReadOnlyList<string> Tiebreaker { get; }

    /// <summary>Whether the columns were read from a server (and may be re-read when a column is missing), not known beforehand.</summary>
    public bool FromServer { get; }

    /// <summary>Whether the table has <paramref name="column"/> (names are case-insensitive, as in MariaDB).</summary>
    public bool Has(string? column) => column is not null && _byName.ContainsKey(column);

    /// <summary>The column named <paramref name="column"/>, spelt as the server spells it, and its kind.</summary>
    /// <exception cref="ArgumentException">The table has no such column; the message lists its columns.</exception>
    public (string Name, ColumnKind Kind, bool Nullable) Column(string? column, string paramName, string role)
    {
        if (column is null || !_byName.TryGetValue(column, out var found))
        {
            throw new ArgumentException(
                $"Unknown {role} '{column}': the {Name} table's columns are {string.Join(", ", AllColumns)}.",
                paramName);
        }

        return (found.Shape.Name, found.Kind, found.Shape.IsNullable);
    }

    /// <summary>The kind of <paramref name="column"/>.</summary>
    /// <exception cref="ArgumentException">The table has no such column; the message lists its columns.</exception>
    public ColumnKind KindOf(string? column, string paramName, string role) => Column(column, paramName, role).Kind;

    /// <summary>The table in <paramref name="slot"/>'s schema, back-quoted.</summary>
    public string In(ShardSlot slot) => slot.QuotedSchema + ".`" + Name + "`";
}

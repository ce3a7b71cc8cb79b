namespace ShardKit.Tables;

/// <summary>
/// Where one declared table's rows live in the legacy monolith (<see cref="LegacyTablesOptions"/>): the legacy table, the
/// column that links its rows to the legacy order, and the columns whose names differ from the declared table's.
/// </summary>
public sealed class LegacyTableOptions
{
    /// <summary>
    /// The declared table (<c>ShardKit:Tables</c>) this legacy table fills. The root entry may leave it empty (it fills the root
    /// table); a child entry names one of the declared child tables.
    /// </summary>
    public string? Table { get; set; }

    /// <summary>The legacy table's name in the legacy schema. Default: the declared table's name.</summary>
    public string? Name { get; set; }

    /// <summary>
    /// The root: the legacy order key (an integer <c>AUTO_INCREMENT</c> primary key), which stays an alternate key of the
    /// order (<c>legacy-order-id</c>). A child: its column that holds that legacy key. Default: the declared table's
    /// order-ID column name.
    /// </summary>
    public string? KeyColumn { get; set; }

    /// <summary>
    /// Declared column → legacy column, for the columns named differently in the legacy table (every other column is read
    /// and written under its declared name). The declared order-ID column is never mapped: it holds the ShardKit order ID.
    /// </summary>
    public IDictionary<string, string> Columns { get; set; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}

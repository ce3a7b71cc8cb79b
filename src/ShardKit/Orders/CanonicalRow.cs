using System.Globalization;
using System.Text;

namespace ShardKit.Orders;

/// <summary>
/// ShardKit's one row-hash definition, and the canonical form of an order built on it, computed by the server the same
/// way wherever two copies are compared.
/// <list type="bullet">
/// <item><b>A row</b> (<see cref="RowHash"/>): its columns sorted by name (ordinal, ignoring case), each as
/// <c>QUOTE(column)</c> (so NULL, which quotes to the word <c>NULL</c>, and the empty string, which quotes to <c>''</c>,
/// differ, and no separator inside a value can shift a column), joined by <c>CONCAT_WS('|', ...)</c>, hashed with MD5, of
/// which the first 64 bits are kept as a <c>BIGINT UNSIGNED</c>.</item>
/// <item><b>An order</b> (<see cref="Hash"/>): what the merchant copy keeps of it (<see cref="MerchantCopyPlan"/>): the
/// root row's copied columns, as for a row, followed by one term per copied child table in declaration order:
/// <c>COUNT(*) ':' BIT_XOR(row hash)</c> of its rows of the order over the table's copied columns (order-independent), all
/// hashed again as for a row. Columns the merchant copy does not keep (a projection's other columns, tables copied with
/// <see cref="MerchantCopy.None"/>, generated columns) are not part of it, so both dimensions hash an order to the same
/// value exactly when the merchant copy holds what it should.</item>
/// <item><b>A set of orders or rows</b>: the count and the XOR of their hashes, which do not depend on row order.</item>
/// </list>
/// The dimension verifier (<see cref="DimensionVerifier"/>) and the legacy migration's verify use <see cref="Hash"/>; the
/// shard mover, which copies a shard schema's every table and column, compares whole tables with <see cref="RowHash"/>.
/// </summary>
internal sealed class CanonicalRow
{
    /// <summary>The alias of the root table in every query here.</summary>
    private const string Alias = "o";

    /// <summary>The canonical form of orders under <paramref name="plan"/>, the root table aliased <c>o</c>.</summary>
    /// <param name="plan">What the merchant copy keeps of each table.</param>
    /// <param name="orderId">
    /// The SQL value of the ShardKit order ID, wherever the root's or a child's order-ID column is hashed; by default the
    /// root's order-ID column. A legacy source keeps its own key in the order-ID column and the ShardKit ID in another.
    /// </param>
    /// <param name="childKey">The root's SQL value that child rows' order-ID column joins to; by default the root's order-ID column.</param>
    /// <param name="names">
    /// Where the tables and columns are when they are not the declared ones (a legacy source: its own table and column
    /// names, and a child's column holding the legacy key where the child's order-ID column is joined); by default the
    /// tables' placeholders and the declared column names.
    /// </param>
    public CanonicalRow(MerchantCopyPlan plan, string? orderId = null, string? childKey = null, SqlNames? names = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        names ??= SqlNames.Declared;
        var rootTable = plan.Model.Root;
        var rootOrderId = Column(Alias, rootTable.OrderIdColumn);
        OrderId = orderId ?? rootOrderId;
        MerchantGene = $"(({rootOrderId} >> {OrderIdLayout.MerchantGeneShift}) & {OrderIdLayout.GeneMask})";
        Hash = OrderHash(plan, OrderId, childKey ?? rootOrderId, names);
        var root = names.Table(rootTable) + " " + Alias;
        var version = Column(Alias, names.Column(rootTable, rootTable.VersionColumn!));
        UserAggregate = $"SELECT {MerchantGene} AS gene, COUNT(*), BIT_XOR({Hash}) FROM {root} GROUP BY gene";
        Aggregate = $"SELECT COUNT(*), IFNULL(BIT_XOR({Hash}), 0) FROM {root}";
        Rows = $"SELECT {OrderId}, {version}, {Hash} FROM {root}";
        UserRows = $"{Rows} WHERE {MerchantGene} = @Gene";
        OneRow = $"SELECT {version}, {Hash} FROM {root} WHERE {rootOrderId} = @OrderId";
    }

    /// <summary>The canonical form of the built-in schema's orders.</summary>
    public static CanonicalRow BuiltIn { get; } = new(MerchantCopyPlan.BuiltIn);

    /// <summary>The SQL value of the ShardKit order ID of the order aliased <c>o</c>.</summary>
    public string OrderId { get; }

    /// <summary>The merchant gene of an order ID, in SQL over the alias <c>o</c>.</summary>
    public string MerchantGene { get; }

    /// <summary>The 64-bit hash (BIGINT UNSIGNED) of the order aliased <c>o</c>.</summary>
    public string Hash { get; }

    /// <summary>Per merchant gene, the count and XOR of the hashes of a user shard's orders.</summary>
    public string UserAggregate { get; }

    /// <summary>The count and XOR of the hashes of every order of the root table (add a <c>WHERE</c> over <c>o</c> to narrow it).</summary>
    public string Aggregate { get; }

    /// <summary>ShardKit order ID, version and hash of every order of the root table (add a <c>WHERE</c> over <c>o</c> to narrow it).</summary>
    public string Rows { get; }

    /// <summary>Every order of a user shard that belongs to merchant shard <c>@Gene</c>: ID, version, hash.</summary>
    public string UserRows { get; }

    /// <summary>One order (<c>@OrderId</c>) of a shard of either dimension: version, hash.</summary>
    public string OneRow { get; }

    /// <summary>
    /// The row hash of <paramref name="columns"/>: sorted by name, each <c>QUOTE</c>d as <paramref name="valueOf"/> gives its
    /// SQL value, joined with <c>'|'</c>, MD5, the first 64 bits as <c>BIGINT UNSIGNED</c>.
    /// </summary>
    public static string RowHash(IEnumerable<string> columns, Func<string, string> valueOf) =>
        Hash64(Sorted(columns).Select(c => $"QUOTE({valueOf(c)})"));

    /// <summary>A column back-quoted, after its table alias if any: <c>o.`name`</c>.</summary>
    public static string Column(string? alias, string column) =>
        (alias is null ? "" : alias + ".") + "`" + column.Replace("`", "``", StringComparison.Ordinal) + "`";

    /// <summary>Compares two sets of (order ID → version, hash) and lists the differences.</summary>
    public static List<DimensionDifference> Diff(int merchantShard, IReadOnlyDictionary<long, (long Version, ulong Hash)> user, IReadOnlyDictionary<long, (long Version, ulong Hash)> merchant)
    {
        var differences = new List<DimensionDifference>();
        foreach (var (orderId, u) in user)
        {
            if (!merchant.TryGetValue(orderId, out var m))
            {
                differences.Add(new DimensionDifference { OrderId = orderId, MerchantShard = merchantShard, Kind = DimensionDifferenceKind.MissingOnMerchant, UserVersion = u.Version });
            }
            else if (m != u)
            {
                differences.Add(new DimensionDifference { OrderId = orderId, MerchantShard = merchantShard, Kind = DimensionDifferenceKind.Different, UserVersion = u.Version, MerchantVersion = m.Version });
            }
        }

        foreach (var (orderId, m) in merchant)
        {
            if (!user.ContainsKey(orderId))
            {
                differences.Add(new DimensionDifference { OrderId = orderId, MerchantShard = merchantShard, Kind = DimensionDifferenceKind.ExtraOnMerchant, MerchantVersion = m.Version });
            }
        }

        differences.Sort((a, b) => a.OrderId.CompareTo(b.OrderId));
        return differences;
    }

    private static string OrderHash(MerchantCopyPlan plan, string orderId, string childKey, SqlNames names)
    {
        var root = plan.Model.Root;
        var terms = Sorted(plan.ColumnsOf(root)!)
            .Select(c => "QUOTE(" + (c.Equals(root.OrderIdColumn, StringComparison.OrdinalIgnoreCase) ? orderId : Column(Alias, names.Column(root, c))) + ")")
            .ToList();
        var n = 0;
        foreach (var (table, columns) in plan.Tables)
        {
            if (ReferenceEquals(table, root))
            {
                continue;
            }

            var alias = "c" + (n++).ToString(CultureInfo.InvariantCulture);
            var row = RowHash(columns, c => c.Equals(table.OrderIdColumn, StringComparison.OrdinalIgnoreCase) ? orderId : Column(alias, names.Column(table, c)));
            terms.Add(new StringBuilder("(SELECT CONCAT(COUNT(*), ':', IFNULL(BIT_XOR(").Append(row).Append("), 0)) FROM ").Append(names.Table(table)).Append(' ').Append(alias)
                .Append(" WHERE ").Append(Column(alias, names.Column(table, table.OrderIdColumn))).Append(" = ").Append(childKey).Append(')').ToString());
        }

        return Hash64(terms);
    }

    private static string Hash64(IEnumerable<string> terms) =>
        "CAST(CONV(LEFT(MD5(CONCAT_WS('|', " + string.Join(", ", terms) + ")), 16), 16, 10) AS UNSIGNED)";

    private static IEnumerable<string> Sorted(IEnumerable<string> columns) =>
        columns.Order(StringComparer.OrdinalIgnoreCase).ThenBy(c => c, StringComparer.Ordinal);
}

/// <summary>Where <see cref="CanonicalRow"/> finds each declared table (its SQL name) and column (its name there).</summary>
internal sealed record SqlNames(Func<DeclaredTable, string> Table, Func<DeclaredTable, string, string> Column)
{
    /// <summary>The declared tables (their placeholders) and columns.</summary>
    public static SqlNames Declared { get; } = new(t => t.Placeholder, (_, c) => c);
}

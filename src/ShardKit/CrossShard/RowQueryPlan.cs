using System.Globalization;
using System.Text;
using Dapper;

namespace ShardKit.CrossShard;

/// <summary>A validated <see cref="CrossShardQuery"/>: its columns, its total sort key, and the statement each cluster runs.</summary>
internal sealed class RowQueryPlan
{
    private const string SeekParameter = "sk_seek";
    private const string KeyAlias = "sk_key";

    private RowQueryPlan(CrossShardQuery query, TableShape table, string[] columns, string[] keyColumns, ColumnKind[] keyKinds, bool[] descending, bool[] nullable)
    {
        Query = query;
        Table = table;
        Nullable = nullable;
        Columns = columns;
        KeyColumns = keyColumns;
        KeyKinds = keyKinds;
        Descending = descending;
        var shape = new StringBuilder("rows\u001f")
            .Append(query.Dimension).Append('\u001f')
            .Append(table.Name).Append('\u001f')
            .Append(query.Shards is null ? "*" : string.Join(",", query.Shards.Order())).Append('\u001f')
            .Append(query.Filter).Append('\u001f')
            .AppendJoin(",", columns).Append('\u001f');
        for (var i = 0; i < keyColumns.Length; i++)
        {
            shape.Append(keyColumns[i]).Append(descending[i] ? " DESC," : " ASC,");
        }

        ShapeHash = ContinuationToken.HashShape(shape.ToString());
    }

    public CrossShardQuery Query { get; }

    /// <summary>The table read, with its columns' kinds.</summary>
    public TableShape Table { get; }

    /// <summary>The selected columns; they come first in each row, so a row parser maps exactly these.</summary>
    public string[] Columns { get; }

    /// <summary>The sort columns, the table's tiebreaker (order ID or primary key) last.</summary>
    public string[] KeyColumns { get; }

    public ColumnKind[] KeyKinds { get; }

    public bool[] Descending { get; }

    /// <summary>Per sort column, whether it may be NULL (its seek term then places NULL as the server sorts it: first ascending).</summary>
    public bool[] Nullable { get; }

    public byte[] ShapeHash { get; }

    /// <summary>Rows each shard and each cluster returns: the offset, the page, and one more to tell whether a page follows.</summary>
    public int Limit => Query.Offset + Query.PageSize + 1;

    /// <exception cref="ArgumentException">Anything in the query that is not allowed, named.</exception>
    public static RowQueryPlan Create(CrossShardQuery query, CrossShardOptions options, TableShape table)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(query);
        QueryChecks.Common(query.Dimension, query.Filter, query.Timeout, query.PartialResults, nameof(query));
        if (query.PageSize < 1 || query.PageSize > options.MaxPageSize)
        {
            throw new ArgumentException(
                $"PageSize {query.PageSize} is out of range: it must be from 1 to {options.MaxPageSize} (CrossShardOptions.MaxPageSize).", nameof(query));
        }

        if (query.Offset < 0)
        {
            throw new ArgumentException($"Offset {query.Offset} is negative.", nameof(query));
        }

        if (query.Offset > options.MaxOffset)
        {
            throw new ArgumentException(
                $"Offset {query.Offset} is refused: cross-shard queries allow an offset of at most {options.MaxOffset} (CrossShardOptions.MaxOffset), " +
                "because every shard would have to read offset + page size rows. Page with keyset pagination instead: pass the previous page's " +
                "ContinuationToken to QueryPageAsync to read the page after it.",
                nameof(query));
        }

        var columns = query.Columns is null ? table.AllColumns : new string[query.Columns.Count];
        if (columns.Length == 0)
        {
            throw new ArgumentException("Columns is empty; pass null for every column.", nameof(query));
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < (query.Columns?.Count ?? 0); i++)
        {
            columns[i] = table.Column(query.Columns![i], nameof(query), "column").Name;
            if (!seen.Add(columns[i]))
            {
                throw new ArgumentException($"Column '{columns[i]}' is listed twice in Columns.", nameof(query));
            }
        }

        var keys = new List<string>();
        var kinds = new List<ColumnKind>();
        var descending = new List<bool>();
        var nullable = new List<bool>();
        foreach (var sort in query.OrderBy ?? [])
        {
            ArgumentNullException.ThrowIfNull(sort, nameof(query));
            var (name, kind, isNullable) = table.Column(sort.Column, nameof(query), "sort column");
            if (!ColumnKinds.IsOrdered(kind))
            {
                throw new ArgumentException(
                    $"Cannot sort by '{name}': {ColumnKinds.Describe(kind)} has no order. Sort by a number, date, time or string column.", nameof(query));
            }

            if (keys.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Sort column '{name}' is listed twice in OrderBy.", nameof(query));
            }

            keys.Add(name);
            kinds.Add(kind);
            descending.Add(sort.Descending);
            nullable.Add(isNullable);
        }

        if (table.Tiebreaker.Count == 0)
        {
            throw new ArgumentException(
                $"Table {table.Name} has no primary key: cross-shard pages need one to put rows in a total order. Add a primary key, or use an aggregate query.",
                nameof(query));
        }

        var last = descending.Count > 0 && descending[^1];
        foreach (var tiebreaker in table.Tiebreaker)
        {
            if (!keys.Contains(tiebreaker, StringComparer.OrdinalIgnoreCase))
            {
                var (name, kind, isNullable) = table.Column(tiebreaker, nameof(query), "key column");
                keys.Add(name);
                kinds.Add(kind);
                descending.Add(last);
                nullable.Add(isNullable);
            }
        }

        return new RowQueryPlan(query, table, columns, [.. keys], [.. kinds], [.. descending], [.. nullable]);
    }

    /// <summary>
    /// The one statement a cluster runs: each shard's rows sorted and limited, combined with UNION ALL, then sorted and
    /// limited again, so the cluster returns at most <see cref="Limit"/> rows in key order.
    /// </summary>
    public string BuildSql(ClusterPart part, bool seek)
    {
        var select = new StringBuilder("SELECT ");
        foreach (var column in Columns)
        {
            select.Append('`').Append(column).Append("`, ");
        }

        for (var i = 0; i < KeyColumns.Length; i++)
        {
            select.Append(ColumnKinds.KeyExpression(KeyColumns[i], KeyKinds[i])).Append(" AS ").Append(KeyAlias).Append(i.ToString(CultureInfo.InvariantCulture));
            select.Append(i < KeyColumns.Length - 1 ? ", " : " FROM ");
        }

        var where = new StringBuilder();
        if (Query.Filter is not null)
        {
            where.Append(" WHERE (").Append(Query.Filter).Append(')');
        }

        if (seek)
        {
            where.Append(Query.Filter is null ? " WHERE (" : " AND (").Append(SeekPredicate()).Append(')');
        }

        var orderBy = OrderByClause();
        var sql = new StringBuilder();
        foreach (var slot in part.Slots)
        {
            if (sql.Length > 0)
            {
                sql.Append("\nUNION ALL\n");
            }

            sql.Append('(').Append(select).Append(Table.In(slot)).Append(where).Append(orderBy).Append(')');
        }

        return sql.Append('\n').Append(orderBy).ToString();
    }

    /// <summary>The column ordinal of the sort key's position <paramref name="index"/> in each row.</summary>
    public int KeyOrdinal(int index) => Columns.Length + index;

    /// <summary>The filter's parameters plus the seek values of <paramref name="after"/>.</summary>
    public DynamicParameters Parameters(object?[]? after)
    {
        var parameters = new DynamicParameters(Query.Parameters);
        if (after is not null)
        {
            for (var i = 0; i < after.Length; i++)
            {
                parameters.Add(SeekParameter + i.ToString(CultureInfo.InvariantCulture), after[i]);
            }
        }

        return parameters;
    }

    private string OrderByClause()
    {
        var clause = new StringBuilder(" ORDER BY ");
        for (var i = 0; i < KeyColumns.Length; i++)
        {
            clause.Append(i == 0 ? "" : ", ").Append(KeyAlias).Append(i.ToString(CultureInfo.InvariantCulture)).Append(Descending[i] ? " DESC" : " ASC");
        }

        return clause.Append(" LIMIT ").Append(Limit.ToString(CultureInfo.InvariantCulture)).ToString();
    }

    /// <summary>
    /// Rows strictly after the key: <c>(k0 &gt; @s0) OR (k0 = @s0 AND k1 &gt; @s1) OR ...</c>, with &lt; for descending terms.
    /// A NOT NULL column compares plainly (so an index serves the seek); a nullable one places NULL where the server sorts
    /// it (first ascending, last descending) and matches it with <c>&lt;=&gt;</c>.
    /// </summary>
    private string SeekPredicate()
    {
        var predicate = new StringBuilder();
        for (var i = 0; i < KeyColumns.Length; i++)
        {
            predicate.Append(i == 0 ? "(" : " OR (");
            for (var j = 0; j < i; j++)
            {
                predicate.Append(Term(j)).Append(Nullable[j] ? " <=> @" : " = @").Append(SeekParameter).Append(j.ToString(CultureInfo.InvariantCulture)).Append(" AND ");
            }

            var parameter = "@" + SeekParameter + i.ToString(CultureInfo.InvariantCulture);
            if (!Nullable[i])
            {
                predicate.Append(Term(i)).Append(Descending[i] ? " < " : " > ").Append(parameter).Append(')');
            }
            else if (Descending[i])
            {
                predicate.Append(parameter).Append(" IS NOT NULL AND (").Append(Term(i)).Append(" < ").Append(parameter).Append(" OR ").Append(Term(i)).Append(" IS NULL))");
            }
            else
            {
                predicate.Append('(').Append(Term(i)).Append(" > ").Append(parameter).Append(" OR (").Append(parameter).Append(" IS NULL AND ").Append(Term(i)).Append(" IS NOT NULL)))");
            }
        }

        return predicate.ToString();
    }

    private string Term(int index) => ColumnKinds.KeyExpression(KeyColumns[index], KeyKinds[index]);
}

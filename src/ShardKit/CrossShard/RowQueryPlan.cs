using System.Globalization;
using System.Text;
using Dapper;

namespace ShardKit.CrossShard;

/// <summary>A validated <see cref="CrossShardQuery"/>: its columns, its total sort key, and the statement each cluster runs.</summary>
internal sealed class RowQueryPlan
{
    private const string SeekParameter = "sk_seek";
    private const string KeyAlias = "sk_key";

    private RowQueryPlan(CrossShardQuery query, string[] columns, string[] keyColumns, ColumnKind[] keyKinds, bool[] descending)
    {
        Query = query;
        Columns = columns;
        KeyColumns = keyColumns;
        KeyKinds = keyKinds;
        Descending = descending;
        var shape = new StringBuilder("rows\u001f")
            .Append(query.Dimension).Append('\u001f')
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

    /// <summary>The selected columns; they come first in each row, so a row parser maps exactly these.</summary>
    public string[] Columns { get; }

    /// <summary>The sort columns, the primary key last.</summary>
    public string[] KeyColumns { get; }

    public ColumnKind[] KeyKinds { get; }

    public bool[] Descending { get; }

    public byte[] ShapeHash { get; }

    /// <summary>Rows each shard and each cluster returns: the offset, the page, and one more to tell whether a page follows.</summary>
    public int Limit => Query.Offset + Query.PageSize + 1;

    /// <exception cref="ArgumentException">Anything in the query that is not allowed, named.</exception>
    public static RowQueryPlan Create(CrossShardQuery query, CrossShardOptions options)
    {
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

        var columns = (query.Columns ?? OrderColumns.All).ToArray();
        if (columns.Length == 0)
        {
            throw new ArgumentException("Columns is empty; pass null for every column.", nameof(query));
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            OrderColumns.KindOf(column, nameof(query), "column");
            if (!seen.Add(column))
            {
                throw new ArgumentException($"Column '{column}' is listed twice in Columns.", nameof(query));
            }
        }

        var keys = new List<string>();
        var kinds = new List<ColumnKind>();
        var descending = new List<bool>();
        foreach (var sort in query.OrderBy ?? [])
        {
            ArgumentNullException.ThrowIfNull(sort, nameof(query));
            var kind = OrderColumns.KindOf(sort.Column, nameof(query), "sort column");
            if (kind == ColumnKind.Json)
            {
                throw new ArgumentException($"Cannot sort by '{sort.Column}': a JSON column has no order. Sort by any other column.", nameof(query));
            }

            if (keys.Contains(sort.Column))
            {
                throw new ArgumentException($"Sort column '{sort.Column}' is listed twice in OrderBy.", nameof(query));
            }

            keys.Add(sort.Column);
            kinds.Add(kind);
            descending.Add(sort.Descending);
        }

        if (!keys.Contains(OrderColumns.PrimaryKey))
        {
            keys.Add(OrderColumns.PrimaryKey);
            kinds.Add(ColumnKind.Int64);
            descending.Add(descending.Count > 0 && descending[^1]);
        }

        return new RowQueryPlan(query, columns, [.. keys], [.. kinds], [.. descending]);
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
            select.Append(OrderColumns.KeyExpression(KeyColumns[i], KeyKinds[i])).Append(" AS ").Append(KeyAlias).Append(i.ToString(CultureInfo.InvariantCulture));
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

            sql.Append('(').Append(select).Append(slot.OrdersTable).Append(where).Append(orderBy).Append(')');
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
    /// Sort columns are NOT NULL, so plain comparisons are exact.
    /// </summary>
    private string SeekPredicate()
    {
        var predicate = new StringBuilder();
        for (var i = 0; i < KeyColumns.Length; i++)
        {
            predicate.Append(i == 0 ? "(" : " OR (");
            for (var j = 0; j < i; j++)
            {
                predicate.Append(Term(j)).Append(" = @").Append(SeekParameter).Append(j.ToString(CultureInfo.InvariantCulture)).Append(" AND ");
            }

            predicate.Append(Term(i)).Append(Descending[i] ? " < @" : " > @").Append(SeekParameter).Append(i.ToString(CultureInfo.InvariantCulture)).Append(')');
        }

        return predicate.ToString();
    }

    private string Term(int index) => OrderColumns.KeyExpression(KeyColumns[index], KeyKinds[index]);
}

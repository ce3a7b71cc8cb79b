using System.Data.Common;
using System.Globalization;
using System.Text;

namespace ShardKit.CrossShard;

/// <summary>
/// A validated <see cref="CrossShardAggregateQuery"/>: the statement each cluster runs (every shard's groups, combined
/// with UNION ALL) and how the partial columns are read and combined. AVG is read as SUM and COUNT.
/// </summary>
internal sealed class AggregatePlan
{
    private const string GroupAlias = "sk_group";

    private AggregatePlan(CrossShardAggregateQuery query, TableShape table, ColumnKind[] groupKinds, string selectList, PartialOp[] ops, ColumnKind[] partialKinds, byte[] shapeHash)
    {
        ShapeHash = shapeHash;
        Query = query;
        Table = table;
        GroupKinds = groupKinds;
        SelectList = selectList;
        Ops = ops;
        PartialKinds = partialKinds;
        Functions = query.Aggregates.Select(a => a.Function).ToArray();
    }

    public CrossShardAggregateQuery Query { get; }

    /// <summary>The table read, with its columns' kinds.</summary>
    public TableShape Table { get; }

    public ColumnKind[] GroupKinds { get; }

    /// <summary>How each partial column (after the group keys) combines.</summary>
    public PartialOp[] Ops { get; }

    /// <summary>The kind each partial column is read as.</summary>
    public ColumnKind[] PartialKinds { get; }

    public CrossShardAggregateFunction[] Functions { get; }

    /// <summary>A hash of everything the statements depend on (dimension, shards, filter, groups, aggregates).</summary>
    public byte[] ShapeHash { get; }

    private string SelectList { get; }

    /// <exception cref="ArgumentException">Anything in the query that is not allowed, named.</exception>
    public static AggregatePlan Create(CrossShardAggregateQuery query, TableShape table)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(table);
        QueryChecks.Common(query.Dimension, query.Filter, query.Timeout, query.PartialResults, nameof(query));
        if (query.Aggregates is null || query.Aggregates.Count == 0)
        {
            throw new ArgumentException("Aggregates is empty: name at least one (e.g. CrossShardAggregate.Count()).", nameof(query));
        }

        var select = new StringBuilder();
        var groupKinds = new List<ColumnKind>();
        var groupBy = query.GroupBy ?? [];
        for (var i = 0; i < groupBy.Count; i++)
        {
            var (column, kind, _) = table.Column(groupBy[i], nameof(query), "group column");
            if (!ColumnKinds.IsOrdered(kind))
            {
                throw new ArgumentException(
                    $"Cannot group by '{column}': {ColumnKinds.Describe(kind)} cannot be a group key. Group by a number, date, time or string column.", nameof(query));
            }

            if (groupBy.Take(i).Contains(column, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"Group column '{column}' is listed twice in GroupBy.", nameof(query));
            }

            groupKinds.Add(kind);
            select.Append(ColumnKinds.KeyExpression(column, kind)).Append(" AS ").Append(GroupAlias).Append(i.ToString(CultureInfo.InvariantCulture)).Append(", ");
        }

        var ops = new List<PartialOp>();
        var kinds = new List<ColumnKind>();
        foreach (var aggregate in query.Aggregates)
        {
            ArgumentNullException.ThrowIfNull(aggregate, nameof(query));
            if (aggregate.Function == CrossShardAggregateFunction.Count)
            {
                var counted = aggregate.Column is null ? null : table.Column(aggregate.Column, nameof(query), "aggregate column").Name;
                select.Append(counted is null ? "COUNT(*), " : $"COUNT(`{counted}`), ");
                ops.Add(PartialOp.AddCount);
                kinds.Add(ColumnKind.Int64);
                continue;
            }

            if (aggregate.Column is null)
            {
                throw new ArgumentException($"{aggregate.Function} needs a column; only COUNT may be COUNT(*).", nameof(query));
            }

            var (name, kind, _) = table.Column(aggregate.Column, nameof(query), "aggregate column");
            var sumKind = kind == ColumnKind.Double ? ColumnKind.Double : ColumnKind.Decimal;
            switch (aggregate.Function)
            {
                case CrossShardAggregateFunction.Sum or CrossShardAggregateFunction.Avg when !ColumnKinds.IsNumeric(kind):
                    throw new ArgumentException(
                        $"{aggregate.Function.ToString().ToUpperInvariant()}({aggregate.Column}) is not allowed: SUM and AVG apply to numeric columns " +
                        $"({string.Join(", ", table.Columns.Where(c => ColumnKinds.IsNumeric(ColumnKinds.Of(c))).Select(c => c.Name))}).",
                        nameof(query));
                case CrossShardAggregateFunction.Min or CrossShardAggregateFunction.Max when !ColumnKinds.IsOrdered(kind):
                    throw new ArgumentException(
                        $"{aggregate.Function.ToString().ToUpperInvariant()}({aggregate.Column}) is not allowed: MIN and MAX apply to number, date, time and string columns, " +
                        $"and {name} is {ColumnKinds.Describe(kind)}.",
                        nameof(query));
                case CrossShardAggregateFunction.Sum:
                    select.Append($"SUM(`{name}`), ");
                    ops.Add(PartialOp.AddSum);
                    kinds.Add(sumKind);
                    break;
                case CrossShardAggregateFunction.Avg:
                    select.Append($"SUM(`{name}`), COUNT(`{name}`), ");
                    ops.Add(PartialOp.AddSum);
                    kinds.Add(sumKind);
                    ops.Add(PartialOp.AddCount);
                    kinds.Add(ColumnKind.Int64);
                    break;
                case CrossShardAggregateFunction.Min:
                    // Strings by their bytes, as they sort, so each shard's minimum and the merge agree.
                    select.Append("MIN(").Append(ColumnKinds.KeyExpression(name, kind)).Append("), ");
                    ops.Add(PartialOp.Min);
                    kinds.Add(kind);
                    break;
                case CrossShardAggregateFunction.Max:
                    select.Append("MAX(").Append(ColumnKinds.KeyExpression(name, kind)).Append("), ");
                    ops.Add(PartialOp.Max);
                    kinds.Add(kind);
                    break;
                default:
                    throw new ArgumentException($"Aggregate function {aggregate.Function} is not defined.", nameof(query));
            }
        }

        select.Length -= 2;
        var shape = new StringBuilder("aggregate\u001f")
            .Append(query.Dimension).Append('\u001f')
            .Append(table.Name).Append('\u001f')
            .Append(query.Shards is null ? "*" : string.Join(",", query.Shards.Order())).Append('\u001f')
            .Append(query.Filter).Append('\u001f')
            .Append(select);
        return new AggregatePlan(query, table, [.. groupKinds], select.ToString(), [.. ops], [.. kinds], ContinuationToken.HashShape(shape.ToString()));
    }

    /// <summary>The one statement a cluster runs: each of its shards' groups, combined with UNION ALL.</summary>
    public string BuildSql(ClusterPart part)
    {
        var tail = new StringBuilder();
        if (Query.Filter is not null)
        {
            tail.Append(" WHERE (").Append(Query.Filter).Append(')');
        }

        for (var i = 0; i < GroupKinds.Length; i++)
        {
            tail.Append(i == 0 ? " GROUP BY " : ", ").Append(GroupAlias).Append(i.ToString(CultureInfo.InvariantCulture));
        }

        var sql = new StringBuilder();
        foreach (var slot in part.Slots)
        {
            if (sql.Length > 0)
            {
                sql.Append("\nUNION ALL\n");
            }

            sql.Append("SELECT ").Append(SelectList).Append(" FROM ").Append(Table.In(slot)).Append(tail);
        }

        return sql.ToString();
    }

    /// <summary>Reads one row of a shard's partial result: its group key and its partial columns.</summary>
    public (object?[] Key, object?[] Partials) ReadRow(DbDataReader reader)
    {
        var key = new object?[GroupKinds.Length];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = ValueReader.Read(reader, i, GroupKinds[i]);
        }

        var partials = new object?[Ops.Length];
        for (var i = 0; i < partials.Length; i++)
        {
            partials[i] = ValueReader.Read(reader, key.Length + i, PartialKinds[i]);
        }

        return (key, partials);
    }
}

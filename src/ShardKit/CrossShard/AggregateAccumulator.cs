using System.Text;

namespace ShardKit.CrossShard;

/// <summary>
/// Combines the shards' partial aggregates group by group: counts and sums are added, minima and maxima compared
/// (NULLs skipped, as SQL does), and AVG is the combined SUM over the combined COUNT. Holds one entry per group.
/// </summary>
internal sealed class AggregateAccumulator
{
    private readonly PartialOp[] _ops;
    private readonly CrossShardAggregateFunction[] _functions;
    private readonly int _groupCount;
    private readonly Dictionary<object?[], object?[]> _groups = new(GroupKeyComparer.Instance);

    public AggregateAccumulator(PartialOp[] ops, CrossShardAggregateFunction[] functions, int groupCount)
    {
        _ops = ops;
        _functions = functions;
        _groupCount = groupCount;
    }

    public void Add(object?[] key, object?[] partials)
    {
        if (!_groups.TryGetValue(key, out var state))
        {
            _groups.Add(key, (object?[])partials.Clone());
            return;
        }

        for (var i = 0; i < _ops.Length; i++)
        {
            state[i] = Combine(_ops[i], state[i], partials[i]);
        }
    }

    /// <summary>The merged rows, by group key ascending; without GROUP BY exactly one row (SQL's result over no rows when nothing was added).</summary>
    public List<CrossShardAggregateRow> Results()
    {
        var groups = _groups.ToList();
        if (_groupCount == 0 && groups.Count == 0)
        {
            groups.Add(new([], _ops.Select(op => op == PartialOp.AddCount ? (object?)0L : null).ToArray()));
        }

        var ascending = new KeyComparer(new bool[_groupCount]);
        groups.Sort((a, b) => ascending.Compare(a.Key, b.Key));
        return groups.Select(g => new CrossShardAggregateRow(
            g.Key.Select(v => v is byte[] bytes ? Encoding.UTF8.GetString(bytes) : v).ToArray(),
            Finish(g.Value))).ToList();
    }

    public static object? Combine(PartialOp op, object? state, object? part) => (state, part) switch
    {
        (null, _) when op != PartialOp.AddCount => part,
        (_, null) when op != PartialOp.AddCount => state,
        _ => op switch
        {
            PartialOp.AddCount => (long)(state ?? 0L) + (long)(part ?? 0L),
            PartialOp.AddSum when state is double sum => sum + (double)part!,
            PartialOp.AddSum => (decimal)state! + (decimal)part!,
            PartialOp.Min => KeyComparer.CompareValues(part, state) < 0 ? part : state,
            _ => KeyComparer.CompareValues(part, state) > 0 ? part : state,
        },
    };

    private object?[] Finish(object?[] state)
    {
        var values = new object?[_functions.Length];
        var column = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (_functions[i] == CrossShardAggregateFunction.Avg)
            {
                var count = (long)state[column + 1]!;
                values[i] = state[column] switch
                {
                    _ when count == 0 => null,
                    double sum => sum / count,
                    decimal sum => sum / count,
                    _ => null,
                };
                column += 2;
            }
            else
            {
                // MIN and MAX of a string column were compared as its bytes; they are returned as text.
                values[i] = state[column] is byte[] bytes ? Encoding.UTF8.GetString(bytes) : state[column];
                column++;
            }
        }

        return values;
    }
}

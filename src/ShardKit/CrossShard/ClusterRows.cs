using System.Data.Common;

namespace ShardKit.CrossShard;

/// <summary>
/// One cluster's answer to a page: at most offset + page size + 1 rows, already in key order (the cluster's statement
/// sorted them), read off its reader as soon as they arrive so that every cluster is read in parallel within the timeout.
/// </summary>
internal sealed class ClusterRows<T> : IMergeSource<T>
{
    private readonly List<object?[]> _keys = [];
    private readonly List<T> _rows = [];
    private int _position = -1;

    public object?[] Key => _keys[_position];

    public T Row => _rows[_position];

    /// <summary>Reads every row of <paramref name="reader"/>: the selected columns mapped by Dapper, the sort key by kind.</summary>
    public static async Task<ClusterRows<T>> ReadAsync(DbDataReader reader, RowQueryPlan plan, CancellationToken cancellationToken)
    {
        var rows = new ClusterRows<T>();
        var parse = Dapper.SqlMapper.GetRowParser<T>(reader, typeof(T), 0, plan.Columns.Length);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var key = new object?[plan.KeyColumns.Length];
            for (var i = 0; i < key.Length; i++)
            {
                key[i] = ValueReader.Read(reader, plan.KeyOrdinal(i), plan.KeyKinds[i]);
            }

            rows._keys.Add(key);
            rows._rows.Add(parse(reader));
        }

        return rows;
    }

    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        if (_position + 1 >= _rows.Count)
        {
            return ValueTask.FromResult(false);
        }

        _position++;
        return ValueTask.FromResult(true);
    }
}

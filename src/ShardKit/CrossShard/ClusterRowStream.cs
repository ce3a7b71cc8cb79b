namespace ShardKit.CrossShard;

/// <summary>
/// One cluster's rows, in key order, read from its reader one at a time. A failure that means the cluster stopped
/// answering (connection lost, timeout) ends the stream and is kept in <see cref="Failure"/>; any other error is thrown.
/// </summary>
internal sealed class ClusterRowStream<T> : IMergeSource<T>
{
    private readonly ClusterLease _lease;
    private readonly RowQueryPlan _plan;
    private readonly Func<System.Data.Common.DbDataReader, T> _parse;
    private readonly Func<Exception, bool> _isUnavailable;

    public ClusterRowStream(ClusterLease lease, RowQueryPlan plan, Func<Exception, bool> isUnavailable)
    {
        _lease = lease;
        _plan = plan;
        _isUnavailable = isUnavailable;
        _parse = Dapper.SqlMapper.GetRowParser<T>(lease.Reader, typeof(T), 0, plan.Columns.Length);
        Key = [];
        Row = default!;
    }

    public object?[] Key { get; private set; }

    public T Row { get; private set; }

    public ClusterFailure? Failure { get; private set; }

    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        var reader = _lease.Reader;
        try
        {
            if (Failure is not null || !await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
        catch (Exception ex) when (_isUnavailable(ex))
        {
            Failure = new ClusterFailure(_lease.Part, ex);
            return false;
        }

        var key = new object?[_plan.KeyColumns.Length];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = ValueReader.Read(reader, _plan.KeyOrdinal(i), _plan.KeyKinds[i]);
        }

        Key = key;
        Row = _parse(reader);
        return true;
    }
}

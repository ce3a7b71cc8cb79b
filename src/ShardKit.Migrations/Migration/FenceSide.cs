using System.Data.Common;
using Dapper;
using ShardKit.Migration;

namespace ShardKit.Migrations.Migration;

/// <summary>One bucket's fence on one side: its row in the legacy database's fence table, or its user shard's fence row (<see cref="ShardFence"/>).</summary>
internal sealed class FenceSide : IAsyncDisposable
{
    private readonly LegacySource _source;
    private readonly ShardConnection? _shard;
    private readonly int _bucket;

    private FenceSide(DbConnection connection, ShardConnection? shard, LegacySource source, int bucket)
    {
        Connection = connection;
        _shard = shard;
        _source = source;
        _bucket = bucket;
    }

    public DbConnection Connection { get; }

    public static async Task<FenceSide> OpenAsync(ShardKitDataSource dataSource, LegacySource source, int bucket, Authority side, CancellationToken cancellationToken)
    {
        if (side == Authority.Source)
        {
            return new FenceSide(await dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false), null, source, bucket);
        }

        var shard = await dataSource.OpenAsync(dataSource.Map.GetRoute(ShardDimension.User, bucket), ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        return new FenceSide(shard.Connection, shard, source, bucket);
    }

    /// <summary>Takes the fence row exclusively in <paramref name="transaction"/>: waits for in-flight writers, blocks new ones.</summary>
    public Task<FenceState> LockAsync(DbTransaction transaction, CancellationToken cancellationToken) =>
        QueryAsync(transaction, exclusive: true, cancellationToken);

    /// <summary>Reads the fence row without locking.</summary>
    public Task<FenceState> ReadAsync(CancellationToken cancellationToken) => QueryAsync(null, exclusive: false, cancellationToken);

    public Task SetAsync(DbTransaction? transaction, FenceState state, CancellationToken cancellationToken) =>
        Connection.ExecuteAsync(SetCommand(transaction, state, cancellationToken));

    /// <summary>The statement that sets the fence row to <paramref name="state"/> in <paramref name="transaction"/>.</summary>
    public CommandDefinition SetCommand(DbTransaction? transaction, FenceState state, CancellationToken cancellationToken) =>
        _shard is null
            ? new CommandDefinition(
                _source.SetFence,
                new { Bucket = _bucket, Authority = FenceState.NameOf(state.Authority), state.Capture, state.Epoch },
                transaction,
                cancellationToken: cancellationToken)
            : ShardFence.Set(_shard.Sql("{schema}"), ToShard(state), transaction, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_shard is not null)
        {
            await _shard.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            await Connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<FenceState> QueryAsync(DbTransaction? transaction, bool exclusive, CancellationToken cancellationToken)
    {
        FenceState? state;
        if (_shard is null)
        {
            var sql = exclusive ? _source.FenceExclusive : _source.FenceShared.Replace(" LOCK IN SHARE MODE", "", StringComparison.Ordinal);
            var row = await Connection.QuerySingleOrDefaultAsync<(string Authority, bool Capture, int Epoch)?>(new CommandDefinition(
                sql, new { Bucket = _bucket }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            state = row is { } r ? new FenceState(FenceState.Parse(r.Authority), r.Capture, r.Epoch) : null;
        }
        else
        {
            var row = await ShardFence.ReadAsync(Connection, _shard.Sql("{schema}"), transaction, exclusive ? ShardFence.Exclusive : "", cancellationToken).ConfigureAwait(false);
            state = row is { } r ? new FenceState(r.Serves ? Authority.Target : Authority.Source, r.Capture, r.Epoch) : null;
        }

        return state ?? throw new InvalidOperationException($"Bucket {_bucket} has no fence row on the {(_shard is null ? "source" : "target")} side: run `shardkit migrate plan`.");
    }

    /// <summary>A user shard's fence row for <paramref name="state"/>: the shards serve the bucket, or the legacy database does.</summary>
    private static ShardFenceRow ToShard(FenceState state) => state.Authority == Authority.Target
        ? new ShardFenceRow(true, null, state.Capture, state.Epoch)
        : new ShardFenceRow(false, ShardFenceSignal.Legacy, state.Capture, state.Epoch);
}

using System.Data.Common;
using Dapper;
using ShardKit.Migration;

namespace ShardKit.Migrations.Migration;

/// <summary>One bucket's fence on one side: its row in the legacy database's fence table, or the fence row of its user shard.</summary>
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
        QueryAsync(_shard is null ? _source.FenceExclusive : _shard.Sql(TargetShard.FenceExclusive), transaction, cancellationToken);

    /// <summary>Reads the fence row without locking.</summary>
    public Task<FenceState> ReadAsync(CancellationToken cancellationToken) =>
        QueryAsync(
            _shard is null ? _source.FenceShared.Replace(" LOCK IN SHARE MODE", "", StringComparison.Ordinal) : _shard.Sql(TargetShard.FenceShared).Replace(" LOCK IN SHARE MODE", "", StringComparison.Ordinal),
            null,
            cancellationToken);

    public Task SetAsync(DbTransaction? transaction, FenceState state, CancellationToken cancellationToken) =>
        Connection.ExecuteAsync(new CommandDefinition(
            _shard is null ? _source.SetFence : _shard.Sql(TargetShard.SetFence),
            new { Bucket = _bucket, Authority = FenceState.NameOf(state.Authority), state.Capture, state.Epoch },
            transaction,
            cancellationToken: cancellationToken));

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

    private async Task<FenceState> QueryAsync(string sql, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var row = await Connection.QuerySingleOrDefaultAsync<(string Authority, bool Capture, int Epoch)?>(new CommandDefinition(
            sql, new { Bucket = _bucket }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is { } r
            ? new FenceState(FenceState.Parse(r.Authority), r.Capture, r.Epoch)
            : throw new InvalidOperationException($"Bucket {_bucket} has no fence row on the {(_shard is null ? "source" : "target")} side: run `shardkit migrate plan`.");
    }
}

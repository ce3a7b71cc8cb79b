using System.Data;
using System.Globalization;
using Dapper;
using Polly;

namespace ShardKit.Migration;

/// <summary>
/// Applies the change tables. Forward: the legacy keys the capture triggers logged on the source (<see cref="LegacyCapture"/>)
/// get their ShardKit IDs (the same claim the backfill makes), are re-read there and applied to both dimensions with the
/// version guard. Reverse: the keys logged on a user shard while it was authoritative are drained by the jobs' one
/// <see cref="ShardChangeDrain"/>, re-read there and applied to the source. A change row is deleted only after its key was
/// applied, so a drain stopped anywhere and run again applies the same current state again; rows that commit late with a
/// lower sequence are still found.
/// </summary>
internal sealed class ChangeDrainer
{
    private const int BatchSize = 500;

    private readonly ShardKitDataSource _dataSource;
    private readonly LegacySource _source;
    private readonly LegacyApplier _legacyApplier;
    private readonly LegacyIdAssigner _assigner;
    private readonly ShardChangeDrain _reverse = new(BatchSize, ResiliencePipeline.Empty);

    public ChangeDrainer(ShardKitDataSource dataSource, LegacySource source, LegacyIdAssigner assigner)
    {
        _dataSource = dataSource;
        _source = source;
        _assigner = assigner;
        _legacyApplier = new LegacyApplier(source);
    }

    /// <summary>Test hook: runs after a forward batch was read from the source and before it is applied.</summary>
    internal Func<IReadOnlyList<OrderId>, Task>? BeforeForwardApply { get; set; }

    /// <summary>
    /// Applies the source changes (of one bucket, or of all) logged up to now: rows logged while the drain runs are left
    /// for the next drain, so a drain ends even while writers keep writing (under a frozen fence nothing new is logged).
    /// Each batch of changes is applied as one chunk (shards side by side). Returns the number of change rows consumed.
    /// </summary>
    public async Task<long> DrainForwardAsync(int? bucket, CancellationToken cancellationToken)
    {
        await _source.LoadAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        long consumed = 0;
        long upTo;
        var first = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (first.ConfigureAwait(false))
        {
            upTo = await first.ExecuteScalarAsync<long>(new CommandDefinition(_source.LastChange, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        while (true)
        {
            var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var changes = (await source.QueryAsync<(long Seq, int Bucket, long LegacyId)>(new CommandDefinition(
                    bucket is null ? _source.ReadChanges : _source.ReadBucketChanges,
                    new { Bucket = bucket ?? 0, UpTo = upTo, Limit = BatchSize },
                    cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
                if (changes.Count == 0)
                {
                    return consumed;
                }

                var ids = await AssignAsync(source, changes.Select(c => c.LegacyId).Distinct().ToList(), cancellationToken).ConfigureAwait(false);
                await ApplyForwardAsync(ids, cancellationToken).ConfigureAwait(false);

                await source.ExecuteAsync(new CommandDefinition(
                    _source.DeleteChanges, new { Seqs = changes.Select(c => c.Seq).ToArray() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                consumed += changes.Count;
            }
        }
    }

    /// <summary>
    /// The ShardKit IDs of the logged legacy orders, live or deleted (their own, or derived from the legacy key), each linked
    /// to its legacy key in the legacy ID map, as the backfill links them. An order deleted before any copy still reaches the
    /// shards as a tombstone, under the ID a late copy of it would have. Orders the source has no trace of are left out.
    /// </summary>
    private async Task<List<OrderId>> AssignAsync(System.Data.Common.DbConnection source, List<long> legacyIds, CancellationToken cancellationToken)
    {
        var keys = await _source.ReadKeysAsync(source, legacyIds, cancellationToken).ConfigureAwait(false);
        var linked = await _assigner.LinkAsync(keys.Select(k => k.Key).ToList(), cancellationToken).ConfigureAwait(false);
        return linked.Values.Distinct().ToList();
    }

    /// <summary>
    /// Re-reads the orders' current source states in one snapshot (one round trip) and writes them, live or deleted, to both
    /// dimensions in one pass with the version guard (<see cref="ClusterCopyWriter"/>: a state older than or as old as what a
    /// dimension holds loses there, so applying a change twice or late changes nothing). No outbox entry is needed: both
    /// dimensions are written before the change rows are deleted, so a drain stopped in between applies the same states again.
    /// </summary>
    private async Task ApplyForwardAsync(List<OrderId> ids, CancellationToken cancellationToken)
    {
        List<(UserSideState State, long LegacyId)> found;
        var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            found = await ReadSourceStatesAsync(source, ids, cancellationToken).ConfigureAwait(false);
        }

        if (BeforeForwardApply is { } hook)
        {
            await hook(ids).ConfigureAwait(false);
        }

        await new ClusterCopyWriter(_dataSource).WriteAsync(found.Select(f => f.State).ToList(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Applies the changes logged on bucket <paramref name="bucket"/>'s user shard up to now to the source through the jobs' one
    /// <see cref="ShardChangeDrain"/>: each batch's orders (the import logs <c>[order_id]</c>), each once, re-read on the shard and
    /// written with the legacy applier's version guard. Returns the change rows consumed.
    /// </summary>
    public async Task<long> DrainReverseAsync(int bucket, CancellationToken cancellationToken)
    {
        await _source.LoadAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        var shard = await _dataSource.OpenAsync(_dataSource.Map.GetRoute(ShardDimension.User, bucket), ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                return await _reverse.DrainAsync(
                    shard.Connection,
                    shard.Sql("{schema}"),
                    async (batch, ct) =>
                    {
                        foreach (var orderId in batch.SelectMany(c => c.Keys).Select(k => OrderId.FromValidatedValue(Convert.ToInt64(k[0], CultureInfo.InvariantCulture))).Distinct())
                        {
                            var state = await ReadShardStateAsync(shard, orderId, ct).ConfigureAwait(false);
                            if (state is not null)
                            {
                                await _legacyApplier.ApplyAsync(source, state, force: false, ct).ConfigureAwait(false);
                            }
                        }
                    },
                    cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The whole current state of an order on its user shard, in one snapshot: its rows in every table the user dimension
    /// holds, every column (what the legacy tables are written with), or its tombstone; null when the shard has no trace of it.
    /// </summary>
    private async Task<UserSideState?> ReadShardStateAsync(ShardConnection shard, OrderId orderId, CancellationToken cancellationToken)
    {
        var model = _dataSource.Map.Tables;
        var read = await shard.Connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (read.ConfigureAwait(false))
        {
            var orders = await UserSideReader.ReadOrdersAsync(
                shard, model, shard.Sql($"SELECT * FROM {model.Root.Placeholder} WHERE `{model.Root.OrderIdColumn}` = @OrderId"), new { OrderId = orderId.Value }, read, cancellationToken).ConfigureAwait(false);
            var tombstone = orders.Count > 0 ? null : await shard.Connection.QuerySingleOrDefaultAsync<(long OrderId, long UserId, long MerchantId, DateTime CreatedAt, DateTime DeletedAt, long Version)?>(new CommandDefinition(
                shard.Sql("SELECT order_id, user_id, merchant_id, created_at, deleted_at, version FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId"),
                new { OrderId = orderId.Value }, read, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await read.CommitAsync(cancellationToken).ConfigureAwait(false);
            return orders.Count > 0 ? orders[0]
                : tombstone is { } t ? new UserSideState(new Tombstone(t.OrderId, t.UserId, t.MerchantId, t.CreatedAt, t.DeletedAt, t.Version))
                : null;
        }
    }

    /// <summary>The current source state of each order (one snapshot, one round trip), skipping orders the source has no trace of.</summary>
    public async Task<List<(UserSideState State, long LegacyId)>> ReadSourceStatesAsync(System.Data.Common.DbConnection source, IReadOnlyList<OrderId> ids, CancellationToken cancellationToken)
    {
        var read = await source.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (read.ConfigureAwait(false))
        {
            var states = await _source.ReadStatesAsync(source, read, ids, locking: false, cancellationToken).ConfigureAwait(false);
            await read.CommitAsync(cancellationToken).ConfigureAwait(false);
            return states;
        }
    }
}

using System.Data;
using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// Applies the change tables. Forward: the legacy keys the capture triggers logged on the source (<see cref="LegacyCapture"/>)
/// get their ShardKit IDs (the same claim the backfill makes), are re-read there and applied to both dimensions with the
/// version guard. Reverse: the keys logged on a user shard while it was authoritative are re-read there
/// and applied to the source. A change row is deleted only after its key was applied, so a drain stopped anywhere and
/// run again applies the same current state again; rows that commit late with a lower sequence are still found.
/// </summary>
internal sealed class ChangeDrainer
{
    private const int BatchSize = 500;

    private readonly ShardKitDataSource _dataSource;
    private readonly LegacySource _source;
    private readonly LegacyApplier _legacyApplier;
    private readonly LegacyIdAssigner _assigner;

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
    /// The ShardKit IDs of the logged legacy orders: each is claimed for its legacy ID (a recorded ID is the candidate; the
    /// first claim wins for good, so the backfill and the store find the same one) and recorded where the source has none
    /// yet, on the row or on its tombstone. An order deleted before any copy still gets its ID, so its tombstone reaches the
    /// shards under the ID a late copy of it would use. Orders the source has no trace of are left out.
    /// </summary>
    private async Task<List<OrderId>> AssignAsync(System.Data.Common.DbConnection source, List<long> legacyIds, CancellationToken cancellationToken)
    {
        var keys = await _source.ReadKeysAsync(source, legacyIds, cancellationToken).ConfigureAwait(false);
        var claimed = await _assigner.ClaimAsync(keys.Select(k => k.Key).ToList(), cancellationToken).ConfigureAwait(false);
        await _assigner.RecordAsync(source, null, keys.Where(k => !k.Deleted).Select(k => k.Key).ToList(), claimed, cancellationToken).ConfigureAwait(false);
        await _source.RecordTombstoneIdsAsync(source, keys.Where(k => k.Deleted).Select(k => k.Key).ToList(), claimed, cancellationToken).ConfigureAwait(false);
        return claimed.Values.Distinct().ToList();
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

    /// <summary>Applies every change logged on bucket <paramref name="bucket"/>'s user shard to the source; returns the change rows consumed.</summary>
    public async Task<long> DrainReverseAsync(int bucket, CancellationToken cancellationToken)
    {
        long consumed = 0;
        var shard = await _dataSource.OpenAsync(_dataSource.Map.GetRoute(ShardDimension.User, bucket), ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                while (true)
                {
                    var changes = (await shard.Connection.QueryAsync<(long Seq, long OrderId)>(new CommandDefinition(
                        shard.Sql(TargetShard.ReadChanges), new { Limit = BatchSize }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
                    if (changes.Count == 0)
                    {
                        return consumed;
                    }

                    foreach (var orderId in changes.Select(c => OrderId.FromValidatedValue(c.OrderId)).Distinct())
                    {
                        UserSideState? state;
                        var read = await shard.Connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
                        await using (read.ConfigureAwait(false))
                        {
                            state = (await UserSideReader.ReadStatesAsync(shard, _dataSource.Map.Tables, [orderId.Value], read, locking: false, cancellationToken).ConfigureAwait(false)).GetValueOrDefault(orderId.Value);
                            await read.CommitAsync(cancellationToken).ConfigureAwait(false);
                        }

                        if (state is not null)
                        {
                            await _legacyApplier.ApplyAsync(source, state, bucket, force: false, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    await shard.Connection.ExecuteAsync(new CommandDefinition(
                        shard.Sql(TargetShard.DeleteChanges), new { Seqs = changes.Select(c => c.Seq).ToArray() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    consumed += changes.Count;
                }
            }
        }
    }

    /// <summary>The current source state of each order (one snapshot, one round trip), skipping orders the source has no trace of.</summary>
    public async Task<List<(UserSideState State, long LegacyId)>> ReadSourceStatesAsync(System.Data.Common.DbConnection source, IReadOnlyList<OrderId> ids, CancellationToken cancellationToken)
    {
        var read = await source.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (read.ConfigureAwait(false))
        {
            var states = await _source.ReadStatesAsync(source, read, ids, cancellationToken).ConfigureAwait(false);
            await read.CommitAsync(cancellationToken).ConfigureAwait(false);
            return states;
        }
    }
}

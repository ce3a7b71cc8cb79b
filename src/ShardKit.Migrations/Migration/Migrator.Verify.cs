using System.Data;
using Dapper;
using ShardKit.Migration;
using ShardKit.Orders;

namespace ShardKit.Migrations.Migration;

/// <summary>VERIFY: per bucket, count and order-independent checksum on both sides; then rows; repair from the source.</summary>
internal sealed partial class Migrator
{
    /// <summary>
    /// Drains the logged changes, then compares every bucket (or the ones given): count and XOR of the canonical row hashes
    /// of the source's orders of the bucket and of its user shard. A bucket that differs is compared again after draining its
    /// changes, then row by row; <paramref name="repair"/> rewrites each differing order from the source (under a shared lock
    /// on the source row, whatever the target's version). Buckets the source is authoritative for become VERIFY when equal.
    /// </summary>
    public async Task<IReadOnlyList<BucketVerifyReport>> VerifyAsync(bool repair, IReadOnlyList<int>? buckets, IProgress<MigrationProgress>? progress, CancellationToken cancellationToken)
    {
        var status = await RequirePhaseAsync(cancellationToken, BucketState.Catchup, BucketState.Verify, BucketState.Cutover, BucketState.Moved).ConfigureAwait(false);
        await _drainer.DrainForwardAsync(bucket: null, cancellationToken).ConfigureAwait(false);
        var selected = buckets ?? Enumerable.Range(0, Buckets).ToList();
        var reports = new List<BucketVerifyReport>(selected.Count);
        foreach (var bucket in selected)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var state = MigrationStates.Parse(status.Buckets[bucket].State);
            var targetSide = state is BucketState.Moved or BucketState.Reverse;
            if (targetSide)
            {
                await _drainer.DrainReverseAsync(bucket, cancellationToken).ConfigureAwait(false);
            }

            var report = await VerifyBucketAsync(bucket, repair && !targetSide, cancellationToken).ConfigureAwait(false);
            reports.Add(report);
            var newState = targetSide ? state : report.Equal ? BucketState.Verify : BucketState.Catchup;
            await _units.UpdateAsync(
                ShardDimension.User,
                bucket,
                "state = @State, source_rows = @SourceRows, target_rows = @TargetRows, verified_at = IF(@Equal, UTC_TIMESTAMP(6), verified_at), last_error = @Error",
                new
                {
                    State = MigrationStates.Name(newState),
                    SourceRows = report.SourceCount,
                    TargetRows = report.TargetCount,
                    report.Equal,
                    Error = report.Equal ? null : $"{report.Differences.Count(d => !d.Repaired)} order(s) differ",
                },
                cancellationToken).ConfigureAwait(false);
            progress?.Report(new MigrationProgress("verify", reports.Count, selected.Count, 0, null, TimeSpan.Zero, TimeSpan.Zero, null));
        }

        await BumpVersionAsync(cancellationToken).ConfigureAwait(false);
        var after = await StatusAsync(cancellationToken).ConfigureAwait(false);
        if (MigrationStates.Parse(after.Phase) == BucketState.Catchup && after.Buckets.All(b => MigrationStates.Parse(b.State) == BucketState.Verify))
        {
            await SetPhaseAsync(BucketState.Verify, cancellationToken).ConfigureAwait(false);
        }

        return reports;
    }

    private async Task<BucketVerifyReport> VerifyBucketAsync(int bucket, bool repair, CancellationToken cancellationToken)
    {
        var (source, target) = await AggregatesAsync(bucket, cancellationToken).ConfigureAwait(false);
        if (source == target)
        {
            return Report(bucket, source, target, []);
        }

        // Changes logged since the drain may explain the difference: drain this bucket and compare again.
        await _drainer.DrainForwardAsync(bucket, cancellationToken).ConfigureAwait(false);
        (source, target) = await AggregatesAsync(bucket, cancellationToken).ConfigureAwait(false);
        if (source == target)
        {
            return Report(bucket, source, target, []);
        }

        var differences = await RowDifferencesAsync(bucket, cancellationToken).ConfigureAwait(false);
        if (repair && differences.Count > 0)
        {
            var repaired = new List<RowDifference>(differences.Count);
            foreach (var difference in differences)
            {
                await RepairAsync(OrderId.FromValidatedValue(difference.OrderId), cancellationToken).ConfigureAwait(false);
                repaired.Add(difference with { Repaired = true });
            }

            (source, target) = await AggregatesAsync(bucket, cancellationToken).ConfigureAwait(false);
            differences = source == target ? repaired : await RowDifferencesAsync(bucket, cancellationToken).ConfigureAwait(false);
        }

        return Report(bucket, source, target, differences);
    }

    private static BucketVerifyReport Report(int bucket, (long Count, ulong Xor) source, (long Count, ulong Xor) target, IReadOnlyList<RowDifference> differences) =>
        new(bucket, source.Count, target.Count, Hex(source.Xor), Hex(target.Xor), differences);

    private async Task<((long Count, ulong Xor) Source, (long Count, ulong Xor) Target)> AggregatesAsync(int bucket, CancellationToken cancellationToken)
    {
        (long, ulong) source;
        var legacy = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (legacy.ConfigureAwait(false))
        {
            var row = (await ReadRowsAsync(legacy, _source.Aggregate, new { Bucket = bucket }, cancellationToken).ConfigureAwait(false))[0];
            source = (row.Key, row.Hash);
        }

        var shard = await _dataSource.OpenAsync(_dataSource.Map.GetRoute(ShardDimension.User, bucket), ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var row = (await ReadRowsAsync(shard.Connection, shard.Sql(_source.TargetAggregate), null, cancellationToken).ConfigureAwait(false))[0];
            return (source, (row.Key, row.Hash));
        }
    }

    /// <summary>Reads rows of (count or ID, version or nothing, hash): the first column and the last (unsigned) one, and the middle one when there are three.</summary>
    private static async Task<List<(long Key, ulong Hash, long Value)>> ReadRowsAsync(System.Data.Common.DbConnection connection, string sql, object? parameters, CancellationToken cancellationToken)
    {
        var rows = new List<(long, ulong, long)>();
        var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var last = reader.FieldCount - 1;
                rows.Add((
                    Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture),
                    Convert.ToUInt64(reader.GetValue(last), System.Globalization.CultureInfo.InvariantCulture),
                    last == 2 ? Convert.ToInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture) : 0));
            }
        }

        return rows;
    }

    private async Task<List<RowDifference>> RowDifferencesAsync(int bucket, CancellationToken cancellationToken)
    {
        Dictionary<long, (long Version, ulong Hash)> source;
        var legacy = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (legacy.ConfigureAwait(false))
        {
            source = (await ReadRowsAsync(legacy, _source.Rows, new { Bucket = bucket }, cancellationToken).ConfigureAwait(false))
                .ToDictionary(r => r.Key, r => ((long)r.Value, r.Hash));
        }

        Dictionary<long, (long Version, ulong Hash)> target;
        var shard = await _dataSource.OpenAsync(_dataSource.Map.GetRoute(ShardDimension.User, bucket), ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            target = (await ReadRowsAsync(shard.Connection, shard.Sql(_source.TargetRows), null, cancellationToken).ConfigureAwait(false))
                .ToDictionary(r => r.Key, r => ((long)r.Value, r.Hash));
        }

        var differences = new List<RowDifference>();
        foreach (var (orderId, s) in source)
        {
            if (!target.TryGetValue(orderId, out var t))
            {
                differences.Add(new RowDifference(orderId, "MissingOnTarget", s.Version, null, false));
            }
            else if (t != s)
            {
                differences.Add(new RowDifference(orderId, "Different", s.Version, t.Version, false));
            }
        }

        differences.AddRange(target.Keys.Where(id => !source.ContainsKey(id)).Select(id => new RowDifference(id, "ExtraOnTarget", null, target[id].Version, false)));
        differences.Sort((a, b) => a.OrderId.CompareTo(b.OrderId));
        return differences;
    }

    /// <summary>
    /// Rewrites one order on both dimensions from the source, whatever the target's versions, while holding shared locks on
    /// the source row; an order the source has no trace of is removed (its rows on the user shard, its merchant copy).
    /// </summary>
    private async Task RepairAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        var writer = new ClusterCopyWriter(_dataSource);
        var legacy = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (legacy.ConfigureAwait(false))
        {
            var transaction = await legacy.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var found = await _source.ReadStateAsync(legacy, transaction, orderId, locking: true, cancellationToken).ConfigureAwait(false);
                if (found is { } state)
                {
                    await writer.WriteAsync([state.State], force: true, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await writer.RemoveAsync([orderId], cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

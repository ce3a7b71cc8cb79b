using System.Data;
using Dapper;
using ShardKit.Migration;

namespace ShardKit.Migrations.Migration;

/// <summary>CUTOVER and rollback (a cutover in the other direction), the reverse flow, and COMPLETE.</summary>
internal sealed partial class Migrator
{
    /// <summary>
    /// Switches each bucket to the target, one at a time: drain its changes; then the one switch (<see cref="FenceSwitch"/>): take
    /// its source fence row exclusively (waiting for in-flight writers and blocking new ones; not free within
    /// <paramref name="maxPause"/>: the bucket stays in CATCHUP); drain again; verify it (repairing from the source); write the source
    /// fence naming the target (epoch + 1) and the target fence open, uncommitted; if the pause so far plus their commits would exceed
    /// <paramref name="maxPause"/>, roll both back (the bucket stays in CATCHUP on the source); otherwise commit the source fence (the
    /// source accepts no more writes), then the target fence. Blocked writers wake, find the source fence naming the target, and retry there.
    /// </summary>
    public async Task<IReadOnlyList<CutoverResult>> CutoverAsync(IReadOnlyList<int>? buckets, TimeSpan maxPause, CancellationToken cancellationToken)
    {
        var status = await RequirePhaseAsync(cancellationToken, BucketState.Catchup, BucketState.Verify, BucketState.Cutover, BucketState.Moved).ConfigureAwait(false);
        var selected = buckets ?? status.Buckets.Where(b => MigrationStates.Parse(b.State) is BucketState.Catchup or BucketState.Verify or BucketState.Cutover).Select(b => b.Bucket).ToList();
        var results = new List<CutoverResult>(selected.Count);
        foreach (var bucket in selected)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var state = MigrationStates.Parse(status.Buckets[bucket].State);
            if (state is BucketState.Moved)
            {
                results.Add(new CutoverResult(bucket, true, 0, status.Buckets[bucket].Epoch, 0, null));
                continue;
            }

            if (state is not (BucketState.Catchup or BucketState.Verify or BucketState.Cutover))
            {
                throw new InvalidOperationException($"Bucket {bucket} is {status.Buckets[bucket].State}; a cutover needs the backfill done (CATCHUP or VERIFY).");
            }

            results.Add(await SwitchWithAttemptsAsync(bucket, Authority.Source, maxPause, cancellationToken).ConfigureAwait(false));
        }

        var after = await StatusAsync(cancellationToken).ConfigureAwait(false);
        var allMoved = after.Buckets.All(b => MigrationStates.Parse(b.State) == BucketState.Moved);
        await SetPhaseAsync(allMoved ? BucketState.Moved : BucketState.Cutover, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>Rollback: switches moved buckets back to the source the same way (drain the reverse changes under the target fence, verify, switch).</summary>
    public async Task<IReadOnlyList<CutoverResult>> RollbackAsync(IReadOnlyList<int>? buckets, TimeSpan maxPause, CancellationToken cancellationToken)
    {
        var status = await RequirePhaseAsync(cancellationToken, BucketState.Cutover, BucketState.Moved).ConfigureAwait(false);
        var selected = buckets ?? status.Buckets.Where(b => MigrationStates.Parse(b.State) is BucketState.Moved or BucketState.Reverse).Select(b => b.Bucket).ToList();
        var results = new List<CutoverResult>(selected.Count);
        foreach (var bucket in selected)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (MigrationStates.Parse(status.Buckets[bucket].State) is not (BucketState.Moved or BucketState.Reverse))
            {
                results.Add(new CutoverResult(bucket, false, 0, status.Buckets[bucket].Epoch, 0, $"bucket {bucket} is {status.Buckets[bucket].State}, not MOVED"));
                continue;
            }

            results.Add(await SwitchWithAttemptsAsync(bucket, Authority.Target, maxPause, cancellationToken).ConfigureAwait(false));
        }

        var after = await StatusAsync(cancellationToken).ConfigureAwait(false);
        var anyMoved = after.Buckets.Any(b => MigrationStates.Parse(b.State) is BucketState.Moved or BucketState.Reverse);
        await SetPhaseAsync(anyMoved ? BucketState.Cutover : BucketState.Verify, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>REVERSE: applies the changes logged on the shards of every moved bucket to the source (once, or until cancelled with <paramref name="follow"/>).</summary>
    public async Task<long> ReverseAsync(bool follow, CancellationToken cancellationToken)
    {
        long total = 0;
        do
        {
            var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
            foreach (var bucket in status.Buckets.Where(b => MigrationStates.Parse(b.State) is BucketState.Moved))
            {
                total += await _drainer.DrainReverseAsync(bucket.Bucket, cancellationToken).ConfigureAwait(false);
            }

            if (follow)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
        while (follow);
        return total;
    }

    /// <summary>
    /// COMPLETE (every bucket moved): records COMPLETE (applications then route everything to the shards), drops the fences and
    /// change tables on the shards and the source, and archives the legacy tables as <c><i>name</i>_archived</c>. The legacy ID links stay in the control schema.
    /// </summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        var status = await RequirePhaseAsync(cancellationToken, BucketState.Moved, BucketState.Complete).ConfigureAwait(false);
        if (status.Buckets.Any(b => MigrationStates.Parse(b.State) is not (BucketState.Moved or BucketState.Complete)))
        {
            throw new InvalidOperationException("Every bucket must be MOVED before the migration can complete.");
        }

        await ReverseAsync(follow: false, cancellationToken).ConfigureAwait(false);
        await SetBucketsAsync(BucketState.Moved, BucketState.Complete, cancellationToken).ConfigureAwait(false);
        await SetPhaseAsync(BucketState.Complete, cancellationToken).ConfigureAwait(false);
        await StepAsync("complete.recorded").ConfigureAwait(false);
        foreach (var route in _dataSource.Map.GetRoutes(ShardDimension.User))
        {
            var shard = await _dataSource.OpenAsync(route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                await ShardFence.RemoveAsync(shard.Connection, shard.Schema, cancellationToken).ConfigureAwait(false);
            }
        }

        var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            // The tables are archived before their triggers go, so no write reaches them unfenced in between.
            var live = await source.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @Schema AND table_name = @Root", new { Schema = _source.Database, Root = _source.Tables.Root.Name }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (live > 0)
            {
                // One RENAME of every legacy table: atomic, so no write lands in between.
                await source.ExecuteAsync(new CommandDefinition(
                    "RENAME TABLE " + string.Join(", ", _source.Tables.Tables.Select(t => $"{_source.TableOf(t.Table)} TO {_source.Sql("{schema}")}.`{t.Name}_archived`")),
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            foreach (var statement in LegacyCapture.DropTriggers(_source))
            {
                await source.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await source.ExecuteAsync(new CommandDefinition(
                _source.Sql("DROP TABLE IF EXISTS {schema}.`shardkit_fence`, {schema}.`shardkit_changes`, {schema}.`shardkit_tombstones`"), cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <see cref="SwitchAsync"/> up to <see cref="MigratorOptions.CutoverAttempts"/> times while the bucket falls back (its fence
    /// not free, or its pause over the budget, or a difference the verification repaired), 200 ms apart; the last result.
    /// </summary>
    private async Task<CutoverResult> SwitchWithAttemptsAsync(int bucket, Authority from, TimeSpan maxPause, CancellationToken cancellationToken)
    {
        var result = await SwitchAsync(bucket, from, maxPause, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; !result.Switched && attempt < Math.Max(1, _options.CutoverAttempts); attempt++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), _dataSource.TimeProvider, cancellationToken).ConfigureAwait(false);
            result = await SwitchAsync(bucket, from, maxPause, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    private async Task<CutoverResult> SwitchAsync(int bucket, Authority from, TimeSpan maxPause, CancellationToken cancellationToken)
    {
        var to = from == Authority.Source ? Authority.Target : Authority.Source;
        var (sourceFence, targetFence) = await ReadFencesAsync(bucket, cancellationToken).ConfigureAwait(false);
        var fromFence = from == Authority.Source ? sourceFence : targetFence;
        var toFence = from == Authority.Source ? targetFence : sourceFence;
        if (fromFence.Authority == to)
        {
            // Switched before (maybe by a run that died between the two fences): finish it, nothing to drain.
            if (toFence.Authority != to || toFence.Epoch != fromFence.Epoch)
            {
                await SetFenceAsync(bucket, to, new FenceState(to, true, fromFence.Epoch), cancellationToken).ConfigureAwait(false);
            }

            await RecordSwitchAsync(bucket, to, fromFence.Epoch, pauseMs: null, error: null, cancellationToken).ConfigureAwait(false);
            return new CutoverResult(bucket, true, 0, fromFence.Epoch, 0, null);
        }

        await _units.SetStateAsync(
            ShardDimension.User, bucket, MigrationStates.Name(from == Authority.Source ? BucketState.Cutover : BucketState.Reverse), cancellationToken).ConfigureAwait(false);
        await DrainAsync(bucket, from, cancellationToken).ConfigureAwait(false);

        await using var side = await FenceSide.OpenAsync(_dataSource, _source, bucket, from, cancellationToken).ConfigureAwait(false);
        var outcome = await new FenceSwitch
        {
            MaxPause = maxPause,
            Isolation = IsolationLevel.RepeatableRead,
            EpochBefore = fromFence.Epoch,
            Stays = $"the bucket stays on the {FenceState.NameOf(from)} side",
            UnderFence = "drain, verification and fences",
            FinishName = $"opening the fence on the {FenceState.NameOf(to)} side",
            FrozenStep = "cutover.frozen",
            SwitchedStep = "cutover.switched",
            LockAsync = async (transaction, ct) => (await side.LockAsync(transaction, ct).ConfigureAwait(false)).Epoch,
            FinalAsync = async ct =>
            {
                var drained = await DrainAsync(bucket, from, ct).ConfigureAwait(false);
                var report = await VerifyBucketAsync(bucket, repair: from == Authority.Source, ct).ConfigureAwait(false);
                return (drained, report.Equal ? null : $"bucket {bucket} differs after the drain ({report.Differences.Count} order(s)); it stays on the {FenceState.NameOf(from)} side");
            },
            CloseAsync = (transaction, epoch, ct) => side.SetAsync(transaction, new FenceState(to, false, epoch), ct),
            PrepareAsync = (epoch, ct) => PrepareOpenAsync(bucket, to, epoch, ct),
            FallBackAsync = (error, ct) => RecordFallbackAsync(bucket, from, error, ct),
            StepAsync = StepAsync,
        }.RunAsync(side.Connection, cancellationToken).ConfigureAwait(false);
        if (outcome.Switched)
        {
            await RecordSwitchAsync(bucket, to, outcome.Epoch, outcome.PauseMs, error: null, cancellationToken).ConfigureAwait(false);
            await StepAsync("cutover.recorded").ConfigureAwait(false);
        }

        return new CutoverResult(bucket, outcome.Switched, outcome.PauseMs, outcome.Epoch, outcome.ChangesDrained, outcome.Error);
    }

    /// <summary>Writes <paramref name="to"/>'s fence open (authority, capture on, <paramref name="epoch"/>) without committing it: the end of a bucket's switch.</summary>
    private async Task<SwitchFinish> PrepareOpenAsync(int bucket, Authority to, int epoch, CancellationToken cancellationToken)
    {
        // One part, so no step fires between commits.
        var finish = new SwitchFinish(firstCommittedStep: "cutover.opened", StepAsync);
        try
        {
            var side = await FenceSide.OpenAsync(_dataSource, _source, bucket, to, cancellationToken).ConfigureAwait(false);
            var transaction = await finish.BeginAsync(side.Connection, side, cancellationToken).ConfigureAwait(false);
            await finish.WriteAsync(side.Connection, side.SetCommand(transaction, new FenceState(to, true, epoch), cancellationToken)).ConfigureAwait(false);
            return finish;
        }
        catch
        {
            await finish.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private Task<long> DrainAsync(int bucket, Authority from, CancellationToken cancellationToken) =>
        from == Authority.Source ? _drainer.DrainForwardAsync(bucket, cancellationToken) : _drainer.DrainReverseAsync(bucket, cancellationToken);

    private async Task<(FenceState Source, FenceState Target)> ReadFencesAsync(int bucket, CancellationToken cancellationToken)
    {
        await using var source = await FenceSide.OpenAsync(_dataSource, _source, bucket, Authority.Source, cancellationToken).ConfigureAwait(false);
        await using var target = await FenceSide.OpenAsync(_dataSource, _source, bucket, Authority.Target, cancellationToken).ConfigureAwait(false);
        return (await source.ReadAsync(cancellationToken).ConfigureAwait(false), await target.ReadAsync(cancellationToken).ConfigureAwait(false));
    }

    private async Task SetFenceAsync(int bucket, Authority side, FenceState state, CancellationToken cancellationToken)
    {
        await using var fence = await FenceSide.OpenAsync(_dataSource, _source, bucket, side, cancellationToken).ConfigureAwait(false);
        await fence.SetAsync(null, state, cancellationToken).ConfigureAwait(false);
    }

    private Task RecordSwitchAsync(int bucket, Authority to, int epoch, double? pauseMs, string? error, CancellationToken cancellationToken) =>
        RecordBucketAsync(bucket, to == Authority.Target ? BucketState.Moved : BucketState.Verify, epoch, pauseMs, error, cancellationToken);

    private Task RecordFallbackAsync(int bucket, Authority from, string error, CancellationToken cancellationToken) =>
        RecordBucketAsync(bucket, from == Authority.Source ? BucketState.Catchup : BucketState.Moved, epoch: null, pauseMs: null, error, cancellationToken);

    private async Task RecordBucketAsync(int bucket, BucketState state, int? epoch, double? pauseMs, string? error, CancellationToken cancellationToken)
    {
        await _units.RecordAsync(ShardDimension.User, bucket, MigrationStates.Name(state), error, epoch, pauseMs, cancellationToken).ConfigureAwait(false);
        await BumpVersionAsync(cancellationToken).ConfigureAwait(false);
    }
}

using System.Data;
using System.Data.Common;
using System.Diagnostics;
using Dapper;
using ShardKit.Migration;
using ShardKit.Migrations.Migration.Throttling;
using ShardKit.Orders;
using Polly;

namespace ShardKit.Migrations.Migration;

/// <summary>BACKFILL and CATCHUP: the history in legacy-key chunks, then the logged changes.</summary>
internal sealed partial class Migrator
{
    /// <summary>Where this migrator's backfill time went (read, claim, apply per dimension, checkpoint).</summary>
    public CopyProfile CopyProfile { get; } = new();

    private static readonly ResiliencePipeline s_chunkReadRetry = TransientRetry.Create(attempts: 5, TimeSpan.FromMilliseconds(20), TimeProvider.System);

    /// <summary>
    /// Copies every legacy order from the checkpoint on: each chunk is read (and its legacy IDs linked) while the one before
    /// it is applied; it is then written into its user and merchant
    /// shards in one pass, one batch per cluster, the clusters side by side (<see cref="ClusterCopyWriter"/>), with the
    /// version guard (the copy loses to any newer write already applied; a tombstone wins over an older copy), and only
    /// then the checkpoint moves past it. A crash copies the chunks after the checkpoint again (every write is idempotent). Then CATCHUP
    /// applies the logged changes. Throttled before each chunk by the jobs' one <see cref="CopyThrottle"/>
    /// (<see cref="MigratorOptions.Throttle"/>): replica lag, <c>Threads_running</c>, the writers' p99 and a row rate.
    /// </summary>
    public async Task BackfillAsync(IProgress<MigrationProgress>? progress, CancellationToken cancellationToken)
    {
        var setup = Stopwatch.StartNew();
        var status = await RequirePhaseAsync(cancellationToken, BucketState.Capture, BucketState.Backfill, BucketState.Catchup, BucketState.Verify, BucketState.Cutover).ConfigureAwait(false);
        if (MigrationStates.Parse(status.Phase) == BucketState.Capture)
        {
            await SetBucketsAsync(BucketState.Capture, BucketState.Backfill, cancellationToken).ConfigureAwait(false);
            await SetPhaseAsync(BucketState.Backfill, cancellationToken).ConfigureAwait(false);
        }

        var cursor = status.BackfillCursor;
        long total;
        long until;
        var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            // The history ends at the highest key that existed when the backfill first started: every order written after
            // capture began is in the change table, so the copy need not chase new rows. Recorded once, so a resume keeps it.
            var highest = await source.ExecuteScalarAsync<long>(new CommandDefinition(_source.HighestKey, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await ControlExecuteAsync($"UPDATE `{Control}`.`migration` SET backfill_until = IFNULL(backfill_until, @Highest) WHERE id = 1", new { Highest = highest }, cancellationToken).ConfigureAwait(false);
            until = await ControlScalarAsync<long>($"SELECT backfill_until FROM `{Control}`.`migration` WHERE id = 1", cancellationToken).ConfigureAwait(false);
            total = await source.ExecuteScalarAsync<long>(new CommandDefinition(_source.CountBetween, new { Cursor = cursor, Until = until }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        var done = 0L;
        var clock = Stopwatch.StartNew();
        CopyThrottle? throttle = null;
        throttle = new CopyThrottle(
            _options.Throttle,
            ServerLoadProbe.ForLegacyImport(_dataSource, _options.ControlCluster, _options.WriterTimeout),
            _dataSource.TimeProvider,
            reason => progress?.Report(new MigrationProgress("backfill", done, Math.Max(total, done), done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3), null,
                throttle!.LastLag, throttle.Throttled, reason)));
        var chunks = new LegacyChunkSource(_dataSource, reason => progress?.Report(new MigrationProgress("backfill", done, Math.Max(total, done), done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3), null,
            throttle.LastLag, throttle.Throttled, reason)));
        var writer = new ClusterCopyWriter(_dataSource) { Profile = CopyProfile, KeyRangeChunks = true };
        CopyProfile.Add("setup", setup.Elapsed);

        // One chunk ahead: the next chunk is read (and its IDs claimed) while this one is applied; the checkpoint moves in
        // order, only after a chunk is written in both dimensions.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var next = status.BackfillDone ? null : ReadAheadAsync(chunks, cursor, until, stop.Token);
        try
        {
            while (next is not null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var waited = Stopwatch.StartNew();
                var (states, last) = await next.ConfigureAwait(false);
                next = null;
                CopyProfile.Add("read.waited", waited.Elapsed);
                if (states.Count == 0)
                {
                    break;
                }

                await StepAsync("backfill.read").ConfigureAwait(false);
                next = ReadAheadAsync(chunks, last, until, stop.Token);
                var throttled = Stopwatch.StartNew();
                await throttle.WaitAsync(done, cancellationToken).ConfigureAwait(false);
                CopyProfile.Add("throttle", throttled.Elapsed);
                var applied = Stopwatch.StartNew();
                await writer.WriteAsync(states, cancellationToken).ConfigureAwait(false);
                CopyProfile.Add("apply", applied.Elapsed);
                await StepAsync("backfill.copied").ConfigureAwait(false);
                var checkpoint = Stopwatch.StartNew();
                await ControlExecuteAsync(
                    $"UPDATE `{Control}`.`migration` SET backfill_cursor = @Cursor, backfill_rows = backfill_rows + @Rows, updated_at = UTC_TIMESTAMP(6) WHERE id = 1 AND backfill_cursor < @Cursor",
                    new { Cursor = last, Rows = states.Count },
                    cancellationToken).ConfigureAwait(false);
                CopyProfile.Add("checkpoint", checkpoint.Elapsed);
                await StepAsync("backfill.checkpoint").ConfigureAwait(false);
                cursor = last;
                done += states.Count;
                var rate = done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                progress?.Report(new MigrationProgress("backfill", done, Math.Max(total, done), rate,
                    rate > 0 ? TimeSpan.FromSeconds(Math.Max(0, total - done) / rate) : null, throttle.LastLag, throttle.Throttled, null));
            }
        }
        finally
        {
            if (next is not null)
            {
                // Stopped with a read in flight (a failure, a crash hook, Ctrl+C): it ends before the backfill returns.
                await stop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await next.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or DbException or InvalidOperationException)
                {
                    // Its chunk is read again from the checkpoint; claims and recorded IDs it made are kept (they are idempotent).
                }
            }
        }

        await ControlExecuteAsync($"UPDATE `{Control}`.`migration` SET backfill_done = 1, updated_at = UTC_TIMESTAMP(6) WHERE id = 1", null, cancellationToken).ConfigureAwait(false);
        var catchup = Stopwatch.StartNew();
        await CatchupAsync(progress, cancellationToken).ConfigureAwait(false);
        CopyProfile.Add("catchup", catchup.Elapsed);
    }

    /// <summary>CATCHUP: applies every logged source change; buckets that finished the backfill are CATCHUP from then on.</summary>
    public async Task<long> CatchupAsync(IProgress<MigrationProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var drained = await _drainer.DrainForwardAsync(bucket: null, cancellationToken).ConfigureAwait(false);
        await StepAsync("catchup.drained").ConfigureAwait(false);
        var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
        if (status.BackfillDone && MigrationStates.Parse(status.Phase) == BucketState.Backfill)
        {
            await SetBucketsAsync(BucketState.Backfill, BucketState.Catchup, cancellationToken).ConfigureAwait(false);
            await SetPhaseAsync(BucketState.Catchup, cancellationToken).ConfigureAwait(false);
        }

        progress?.Report(new MigrationProgress("catchup", drained, drained, drained / Math.Max(clock.Elapsed.TotalSeconds, 1e-3), TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, null));
        return drained;
    }

    /// <summary>
    /// Reads the chunk after <paramref name="cursor"/> (<see cref="ReadChunkAsync"/>: the legacy rows, their claimed IDs
    /// recorded), retried when a deadlock with an application write rolled the read back (nothing was recorded then).
    /// </summary>
    private async Task<(List<UserSideState> States, long Last)> ReadAheadAsync(LegacyChunkSource chunks, long cursor, long until, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var chunk = await s_chunkReadRetry.ExecuteAsync(
            static (s, ct) => new ValueTask<(List<UserSideState>, long)>(s.Self.ReadChunkAsync(s.Chunks, s.Cursor, s.Until, ct)),
            (Self: this, Chunks: chunks, Cursor: cursor, Until: until),
            cancellationToken).ConfigureAwait(false);
        CopyProfile.Add("read", clock.Elapsed);
        return chunk;
    }

    /// <summary>
    /// A chunk of the history, read without locks: the root rows and their child rows in one REPEATABLE READ snapshot and
    /// one round trip (the child rows by key range, not by a list of keys), on a legacy replica when one is configured and
    /// usable, else on the legacy primary (<see cref="LegacyChunkSource"/>: a replica serves chunks only once it has applied
    /// everything the primary had committed when the run began, after capture was on); then every row's ShardKit ID (its own, or derived
    /// from its legacy key: <see cref="LegacyOrderIds"/>) is linked to its legacy key in the legacy ID map. Nothing is
    /// written to the source. No lock is needed: the capture triggers log every write made
    /// since <c>migrate start</c> (whose fence update waited for every writer that had read the fence before it), every
    /// version a plain-SQL writer leaves is raised, and the drains that follow the backfill apply the current state over any
    /// older copy. Writers never wait for the copy.
    /// </summary>
    private async Task<(List<UserSideState> States, long Last)> ReadChunkAsync(LegacyChunkSource chunks, long cursor, long until, CancellationToken cancellationToken)
    {
        var states = new List<UserSideState>();
        var rows = await chunks.ReadAsync(
            async (source, ct) =>
            {
                var snapshot = await source.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
                await using (snapshot.ConfigureAwait(false))
                {
                    var read = await _source.ReadChunkAsync(source, snapshot, cursor, until, _options.ChunkSize, ct).ConfigureAwait(false);
                    await snapshot.CommitAsync(ct).ConfigureAwait(false);
                    return read;
                }
            },
            cancellationToken).ConfigureAwait(false);

        if (rows.Count == 0)
        {
            return (states, cursor);
        }

        var ids = await _assigner.LinkAsync(rows.Select(r => r.Key).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
        {
            states.Add(row.ToState(ids[row.LegacyId]));
        }

        return (states, rows[^1].LegacyId);
    }
}

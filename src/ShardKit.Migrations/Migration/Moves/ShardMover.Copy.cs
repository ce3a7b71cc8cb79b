using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Polly;
using ShardKit.Connections;
using ShardKit.Migrations.Migration.Throttling;

namespace ShardKit.Migrations.Migration.Moves;

/// <summary>COPY: every table in key chunks under shared source locks; drains: captured keys re-read from the serving side and applied.</summary>
internal sealed partial class ShardMover
{
    /// <summary>
    /// Copies every table from its checkpoint: read a chunk <c>LOCK IN SHARE MODE</c> in a source transaction, <c>REPLACE</c> it on
    /// the target and commit there, move the checkpoint, then commit the source (a write to a copied row waits for that commit and
    /// is captured, so it reaches the target by the drain). A chunk copied twice after a crash is the same <c>REPLACE</c> again.
    /// Before each chunk the jobs' one <see cref="CopyThrottle"/> (<see cref="ShardMoverOptions.Throttle"/>) waits while a replica
    /// of either cluster lags, a primary of either runs too many threads or the writers report a slow p99, and keeps the row cap.
    /// </summary>
    private async Task CopyAsync(MoveContext context, IProgress<MoveProgress>? progress, CancellationToken cancellationToken)
    {
        var row = await RequireRowAsync(context, cancellationToken).ConfigureAwait(false);
        if (row.CopyDone)
        {
            return;
        }

        var cursors = Cursors.Parse(row.Cursors);
        var rowsCopied = row.RowsCopied;
        List<MoveTable> tables;
        long total;
        var source = await _dataSource.OpenClusterAsync(context.From, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            tables = await LoadTablesAsync(source, context.Schema, cancellationToken).ConfigureAwait(false);
            total = await source.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT IFNULL(SUM(table_rows), 0) FROM information_schema.tables WHERE table_schema = @Schema AND table_name NOT IN @Own",
                new { Schema = context.Schema, Own = ShardFence.OwnTables }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        var clock = Stopwatch.StartNew();
        long copiedThisRun = 0;
        var currentTable = "";
        var throttle = new CopyThrottle(
            _options.Throttle,
            new ServerLoadProbe(_dataSource, [context.From, context.To], legacy: false, _options.ControlCluster, _options.WriterTimeout),
            _dataSource.TimeProvider,
            reason => progress?.Report(new MoveProgress("copy", currentTable, rowsCopied, Math.Max(total, rowsCopied), copiedThisRun / Math.Max(0.001, clock.Elapsed.TotalSeconds), null, reason)));
        var target = await OpenApplyAsync(context.To, cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var table in tables.Where(t => !cursors.Done.Contains(t.Name)))
            {
                currentTable = table.Name;
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await throttle.WaitAsync(copiedThisRun, cancellationToken).ConfigureAwait(false);
                    var copied = await RetryTransientAsync(() => CopyChunkAsync(context, table, cursors, target, cancellationToken), cancellationToken).ConfigureAwait(false);
                    rowsCopied += copied;
                    copiedThisRun += copied;
                    await UpdateRowAsync(context, "cursors = @Cursors, rows_copied = @Rows", new { Cursors = cursors.ToJson(), Rows = rowsCopied }, cancellationToken).ConfigureAwait(false);
                    progress?.Report(new MoveProgress("copy", table.Name, rowsCopied, Math.Max(total, rowsCopied), copiedThisRun / Math.Max(0.001, clock.Elapsed.TotalSeconds), Eta(total - rowsCopied, copiedThisRun, clock.Elapsed), null));
                    await StepAsync("copy.chunk").ConfigureAwait(false);
                    if (cursors.Done.Contains(table.Name))
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            await CloseApplyAsync(target).ConfigureAwait(false);
        }

        await UpdateRowAsync(context, "copy_done = 1", null, cancellationToken).ConfigureAwait(false);
        await StepAsync("copy.done").ConfigureAwait(false);
    }

    private async Task<int> CopyChunkAsync(MoveContext context, MoveTable table, Cursors cursors, DbConnection target, CancellationToken cancellationToken)
    {
        var source = await _dataSource.OpenClusterAsync(context.From, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var transaction = await source.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var after = cursors.Keys.GetValueOrDefault(table.Name);
                var parameters = new DynamicParameters();
                for (var i = 0; after is not null && i < after.Length; i++)
                {
                    parameters.Add("c" + i.ToString(CultureInfo.InvariantCulture), after[i]);
                }

                var rows = await ReadRowsAsync(source, table.ChunkSql(after is null, _options.ChunkSize), parameters, transaction, cancellationToken).ConfigureAwait(false);
                if (rows.Count > 0)
                {
                    await ReplaceAsync(target, context.To, table, rows, transaction: null, cancellationToken).ConfigureAwait(false);
                    var last = rows[^1];
                    cursors.Keys[table.Name] = table.KeyOrdinals.Select(o => KeyText(last[o])).ToArray();
                }

                if (rows.Count < _options.ChunkSize)
                {
                    cursors.Done.Add(table.Name);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return rows.Count;
            }
        }
    }

    /// <summary>
    /// Applies the keys captured on <paramref name="from"/>'s side to <paramref name="to"/>'s through the jobs' one
    /// <see cref="ShardChangeDrain"/> (up to the highest sequence number present at the start, so it ends while writers keep writing;
    /// a batch's change rows are deleted after it was applied) with <see cref="ApplyChangesAsync"/>.
    /// </summary>
    private async Task<long> DrainAsync(MoveContext context, ShardCluster from, ShardCluster to, bool frozen, CancellationToken cancellationToken)
    {
        long applied;
        var source = await _dataSource.OpenClusterAsync(from, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var tables = (await LoadTablesAsync(source, context.Schema, cancellationToken).ConfigureAwait(false)).ToDictionary(t => t.Name, StringComparer.Ordinal);
            var target = await OpenApplyAsync(to, cancellationToken).ConfigureAwait(false);
            try
            {
                applied = await _drain.DrainAsync(
                    source,
                    MoveTable.Quote(context.Schema),
                    (batch, ct) => ApplyChangesAsync(source, target, to, tables, batch, frozen, ct),
                    cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                await CloseApplyAsync(target).ConfigureAwait(false);
            }
        }

        if (applied > 0)
        {
            await UpdateRowAsync(context, "changes = changes + @Applied", new { Applied = applied }, cancellationToken).ConfigureAwait(false);
        }

        return applied;
    }

    /// <summary>
    /// A move's apply of one drained batch: per table, re-read the keys' rows on the source (under shared locks, or plainly when
    /// <paramref name="frozen"/>: the fence then holds every writer), delete the keys on the target and <c>REPLACE</c> the rows
    /// found, commit that, then commit the source. Each table's keys are applied in a source transaction of their own, so the drain
    /// never holds locks in two tables at once (a writer that locks an order, then its items, cannot deadlock with it). Keys of a
    /// table the schema no longer has are skipped.
    /// </summary>
    private static async Task ApplyChangesAsync(
        DbConnection source, DbConnection target, ShardCluster to, Dictionary<string, MoveTable> tables, IReadOnlyList<ShardChanges> batch, bool frozen, CancellationToken cancellationToken)
    {
        foreach (var changes in batch)
        {
            if (!tables.TryGetValue(changes.Table, out var table))
            {
                continue;
            }

            var keys = changes.Keys;
            var transaction = await source.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var rows = await ReadRowsAsync(source, table.RowsByKeySql(keys.Count, locking: !frozen), KeyParameters(keys), transaction, cancellationToken).ConfigureAwait(false);
                var targetTransaction = await target.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (targetTransaction.ConfigureAwait(false))
                {
                    await target.ExecuteAsync(new CommandDefinition(table.DeleteByKeySql(keys.Count), KeyParameters(keys), targetTransaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    if (rows.Count > 0)
                    {
                        await ReplaceAsync(target, to, table, rows, targetTransaction, cancellationToken).ConfigureAwait(false);
                    }

                    await targetTransaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs a copy chunk or drain batch again when the server gave up on it (deadlock with a writer, lock wait timeout): everything
    /// it did was rolled back, or was an idempotent apply already committed.
    /// </summary>
    private static readonly ResiliencePipeline s_retry = TransientRetry.Create(attempts: 20, TimeSpan.FromMilliseconds(20), TimeProvider.System);

    private static async Task<T> RetryTransientAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken) =>
        await s_retry.ExecuteAsync(static async (w, _) => await w().ConfigureAwait(false), work, cancellationToken).ConfigureAwait(false);

    private static TimeSpan? Eta(long left, long done, TimeSpan elapsed) =>
        done <= 0 || left <= 0 ? null : TimeSpan.FromSeconds(left * elapsed.TotalSeconds / done);

    private static async Task<List<object?[]>> ReadRowsAsync(DbConnection connection, string sql, DynamicParameters parameters, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var rows = new List<object?[]>();
        var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var values = new object?[reader.FieldCount];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = SqlLiteral.Read(reader, i);
                }

                rows.Add(values);
            }
        }

        return rows;
    }

    /// <summary>
    /// Writes <paramref name="rows"/> into <paramref name="table"/> on <paramref name="target"/> (open on <paramref name="cluster"/>'s
    /// primary): <c>REPLACE</c>, values as literals, in statements below the server's packet limit.
    /// </summary>
    private static async Task ReplaceAsync(DbConnection target, ShardCluster cluster, MoveTable table, List<object?[]> rows, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var limit = await BatchText.LimitAsync(target, cluster, cancellationToken).ConfigureAwait(false);
        foreach (var text in table.ReplaceTexts(rows, limit))
        {
            await BatchText.ExecuteAsync(target, transaction, text, cancellationToken).ConfigureAwait(false);
        }
    }

    private static DynamicParameters KeyParameters(IReadOnlyList<object?[]> keys)
    {
        var parameters = new DynamicParameters();
        for (var r = 0; r < keys.Count; r++)
        {
            for (var k = 0; k < keys[r].Length; k++)
            {
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"k{r}_{k}"), keys[r][k]);
            }
        }

        return parameters;
    }

    private static string? KeyText(object? value) => value switch
    {
        null => null,
        DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>The copy checkpoint: the last key copied per table and the tables done, as JSON in the unit's <c>cursors</c>.</summary>
    private sealed class Cursors
    {
        public Dictionary<string, string?[]> Keys { get; init; } = new(StringComparer.Ordinal);

        public HashSet<string> Done { get; init; } = new(StringComparer.Ordinal);

        public static Cursors Parse(string? json) =>
            string.IsNullOrEmpty(json) ? new Cursors() : JsonSerializer.Deserialize<Cursors>(json) ?? new Cursors();

        public string ToJson() => JsonSerializer.Serialize(this);
    }
}

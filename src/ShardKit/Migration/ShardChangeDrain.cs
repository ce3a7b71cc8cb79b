using System.Data.Common;
using System.Text.Json;
using Dapper;
using Polly;

namespace ShardKit.Migration;

/// <summary>
/// The drain of a shard schema's change table (<c>shardkit_changes</c>, <see cref="ShardFence"/>), one for every job: a shard move
/// drains the serving cluster's copy of the shard into the other cluster, the legacy import's reverse flow a user shard into the
/// legacy database. A drain reads only up to the highest sequence number present when it starts (so it ends while writers keep
/// writing; under a frozen fence nothing new is logged), one batch at a time in sequence order, and hands the batch's keys, each
/// once per table, to the job's apply, which re-reads the current rows (or their absence) on the serving side and writes them to
/// the other. Only after the apply returns are exactly the batch's sequence numbers deleted. A drain stopped anywhere (Ctrl+C, a
/// crash) and run again applies the same keys again, which the applies make idempotent; a change row that commits late with a
/// lower sequence number is found by the next drain.
/// </summary>
internal sealed class ShardChangeDrain
{
    private readonly int _batchSize;
    private readonly ResiliencePipeline _retry;
    private readonly Func<Task>? _applied;

    /// <param name="batchSize">Change rows per batch.</param>
    /// <param name="retry">Runs a batch again when the server gave up on it (a deadlock with a writer, a lock wait timeout): the apply
    /// rolled back or committed an idempotent write, and the change rows are still there.</param>
    /// <param name="applied">A test hook: runs after a batch was applied and before its change rows are deleted.</param>
    public ShardChangeDrain(int batchSize, ResiliencePipeline retry, Func<Task>? applied = null)
    {
        _batchSize = batchSize;
        _retry = retry;
        _applied = applied;
    }

    /// <summary>
    /// Drains the change table of <paramref name="schema"/> (SQL: a quoted name) on <paramref name="connection"/> through
    /// <paramref name="apply"/>; returns the number of change rows consumed.
    /// </summary>
    public async Task<long> DrainAsync(
        DbConnection connection, string schema, Func<IReadOnlyList<ShardChanges>, CancellationToken, Task> apply, CancellationToken cancellationToken)
    {
        var until = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT IFNULL(MAX(seq), 0) FROM {schema}.`{ShardFence.ChangeTable}`", cancellationToken: cancellationToken)).ConfigureAwait(false);
        long consumed = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = await _retry.ExecuteAsync(
                static async (s, ct) => await s.Self.DrainBatchAsync(s.Connection, s.Schema, s.Until, s.Apply, ct).ConfigureAwait(false),
                (Self: this, Connection: connection, Schema: schema, Until: until, Apply: apply),
                cancellationToken).ConfigureAwait(false);
            if (count == 0)
            {
                return consumed;
            }

            consumed += count;
        }
    }

    /// <summary>One batch up to <paramref name="until"/>: read, apply, delete; 0 when nothing is left.</summary>
    private async Task<int> DrainBatchAsync(
        DbConnection connection, string schema, long until, Func<IReadOnlyList<ShardChanges>, CancellationToken, Task> apply, CancellationToken cancellationToken)
    {
        var batch = (await connection.QueryAsync<(long Seq, string Table, string Key)>(new CommandDefinition(
            $"SELECT seq, table_name, row_key FROM {schema}.`{ShardFence.ChangeTable}` WHERE seq <= @Until ORDER BY seq LIMIT @Limit",
            new { Until = until, Limit = _batchSize },
            cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        if (batch.Count == 0)
        {
            return 0;
        }

        await apply(
            batch.GroupBy(c => c.Table, StringComparer.Ordinal)
                .Select(g => new ShardChanges(g.Key, g.Select(c => c.Key).Distinct(StringComparer.Ordinal).Select(ParseKey).ToList()))
                .ToList(),
            cancellationToken).ConfigureAwait(false);
        if (_applied is { } hook)
        {
            await hook().ConfigureAwait(false);
        }

        // Only after the apply committed: the delete may wait on a writer's uncommitted change row, and must then hold no row lock
        // that writer waits for. A crash before it applies the keys again, which is idempotent.
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {schema}.`{ShardFence.ChangeTable}` WHERE seq IN @Seqs", new { Seqs = batch.Select(c => c.Seq).ToArray() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return batch.Count;
    }

    /// <summary>A key as the triggers log it (<c>JSON_ARRAY(...)</c>) back into values.</summary>
    private static object?[] ParseKey(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => e.ValueKind switch
        {
            JsonValueKind.Number when e.TryGetInt64(out var l) => (object?)l,
            JsonValueKind.Number => e.GetDecimal(),
            JsonValueKind.String => e.GetString(),
            JsonValueKind.Null => null,
            JsonValueKind.True => 1L,
            JsonValueKind.False => 0L,
            _ => e.GetRawText(),
        }).ToArray();
    }
}

using System.Data;
using System.Globalization;
using Dapper;

namespace ShardKit.Migrations.Migration.Moves;

/// <summary>The whole move, CUTOVER, rollback (a cutover the other way), COMPLETE and resume.</summary>
internal sealed partial class ShardMover
{
    /// <summary>
    /// Moves <paramref name="shardText"/> to <paramref name="toName"/>: start (or pick up the same move), copy, drain, then cut over,
    /// draining again and retrying while the fence is not free within the pause budget (up to <see cref="ShardMoverOptions.CutoverAttempts"/>).
    /// </summary>
    public async Task<MoveCutoverResult> MoveAsync(string shardText, string toName, string? command, IProgress<MoveProgress>? progress, CancellationToken cancellationToken)
    {
        await EnsureControlAsync(cancellationToken).ConfigureAwait(false);
        var (dimension, shard) = ParseShard(shardText);
        var existing = await ReadRowAsync(dimension, shard, cancellationToken).ConfigureAwait(false);
        if (existing is not null && ParseState(existing.State) == ShardMoveState.Moved && string.Equals(existing.To, toName, StringComparison.OrdinalIgnoreCase))
        {
            return new MoveCutoverResult(FormatShard(existing), true, 0, existing.Epoch, 0, null);
        }

        await StartAsync(shardText, toName, command, cancellationToken).ConfigureAwait(false);
        var context = Context((await ReadRowAsync(dimension, shard, cancellationToken).ConfigureAwait(false))!);
        return await ContinueMoveAsync(context, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<MoveCutoverResult> ContinueMoveAsync(MoveContext context, IProgress<MoveProgress>? progress, CancellationToken cancellationToken)
    {
        await CopyAsync(context, progress, cancellationToken).ConfigureAwait(false);
        MoveCutoverResult? result = null;
        for (var attempt = 0; attempt < Math.Max(1, _options.CutoverAttempts); attempt++)
        {
            await CatchUpAsync(context, context.From, context.To, progress, cancellationToken).ConfigureAwait(false);
            result = await SwitchAsync(context, reverse: false, cancellationToken).ConfigureAwait(false);
            if (result.Switched)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
        }

        return result!;
    }

    /// <summary>Drains until a pass finds less than one batch, so the drain under the frozen fence is short.</summary>
    private async Task CatchUpAsync(MoveContext context, ShardCluster from, ShardCluster to, IProgress<MoveProgress>? progress, CancellationToken cancellationToken)
    {
        long total = 0;
        for (var pass = 0; pass < 50; pass++)
        {
            var drained = await DrainAsync(context, from, to, frozen: false, cancellationToken).ConfigureAwait(false);
            total += drained;
            progress?.Report(new MoveProgress("drain", "", total, total, 0, null, null));
            if (drained < _options.DrainBatch)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Rolls a move back. MOVED: a cutover the other way (freeze the new side's fence, drain what was written there since the
    /// cutover back to the old side, compare, switch; epoch + 1), ending REVERSED. Not switched yet (PLAN, COPY, CUTOVER before the
    /// switch): the old cluster still serves the shard, so the move is only marked REVERSED. Either way, <c>complete</c> cleans up.
    /// </summary>
    public async Task<MoveCutoverResult> RollbackAsync(string shardText, string? command, CancellationToken cancellationToken)
    {
        await EnsureControlAsync(cancellationToken).ConfigureAwait(false);
        var (dimension, shard) = ParseShard(shardText);
        var row = await ReadRowAsync(dimension, shard, cancellationToken).ConfigureAwait(false);
        var name = ShardKit.Routing.ShardSlot.FormatName(dimension, shard);
        if (row is null || ParseState(row.State) is ShardMoveState.Complete)
        {
            throw new InvalidOperationException($"Shard {name} has no move to roll back.");
        }

        var context = Context(row);
        if (command is not null)
        {
            await RecordCommandAsync(name, command, cancellationToken).ConfigureAwait(false);
        }

        var state = ParseState(row.State);
        if (state == ShardMoveState.Reversed)
        {
            return new MoveCutoverResult(name, true, 0, row.Epoch, 0, null);
        }

        if (state is ShardMoveState.Plan or ShardMoveState.Copy or ShardMoveState.Cutover)
        {
            var source = await ReadFenceAsync(context.From, context.Schema, cancellationToken).ConfigureAwait(false);
            if (source is null || source.Value.Serves)
            {
                await SetStateAsync(context, ShardMoveState.Reversed, null, cancellationToken).ConfigureAwait(false);
                return new MoveCutoverResult(name, true, 0, row.Epoch, 0, null);
            }

            // Switched by a run that died before recording it: finish that switch, then switch back.
            await SwitchAsync(context, reverse: false, cancellationToken).ConfigureAwait(false);
        }

        MoveCutoverResult result = null!;
        for (var attempt = 0; attempt < Math.Max(1, _options.CutoverAttempts); attempt++)
        {
            await CatchUpAsync(context, context.To, context.From, progress: null, cancellationToken).ConfigureAwait(false);
            result = await SwitchAsync(context, reverse: true, cancellationToken).ConfigureAwait(false);
            if (result.Switched)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// COMPLETE. After a move (MOVED): drops the triggers, fence and change tables on the new cluster, then on the old cluster drops
    /// the triggers and the move's tables and archives the old schema's tables by renaming them into <c>{schema}_moved_e{epoch}</c>
    /// (the emptied schema is dropped). After a rollback (REVERSED): drops the triggers and the move's tables on the old cluster and
    /// drops the copy on the new one. The placement override stays (it agrees with the file once the DBA updates it).
    /// </summary>
    public async Task<string> CompleteAsync(string shardText, string? command, CancellationToken cancellationToken)
    {
        await EnsureControlAsync(cancellationToken).ConfigureAwait(false);
        var (dimension, shard) = ParseShard(shardText);
        var row = await ReadRowAsync(dimension, shard, cancellationToken).ConfigureAwait(false);
        var name = ShardKit.Routing.ShardSlot.FormatName(dimension, shard);
        var state = row is null ? (ShardMoveState?)null : ParseState(row.State);
        if (state == ShardMoveState.Complete)
        {
            return $"shard {name}: already complete";
        }

        if (state is not (ShardMoveState.Moved or ShardMoveState.Reversed))
        {
            throw new InvalidOperationException(row is null
                ? $"Shard {name} has no move to complete."
                : $"Shard {name} is {row.State}; complete needs MOVED (cutover done) or REVERSED (rolled back).");
        }

        var context = Context(row!);
        if (command is not null)
        {
            await RecordCommandAsync(name, command, cancellationToken).ConfigureAwait(false);
        }

        string outcome;
        if (state == ShardMoveState.Moved)
        {
            await CleanUpAsync(context.To, context.Schema, cancellationToken).ConfigureAwait(false);
            await StepAsync("complete.target").ConfigureAwait(false);
            var archive = ArchiveName(context.Schema, row!.Epoch);
            await CleanUpAsync(context.From, context.Schema, cancellationToken).ConfigureAwait(false);
            await ArchiveAsync(context.From, context.Schema, archive, cancellationToken).ConfigureAwait(false);
            outcome = $"shard {name}: served by '{context.To.Name}'; the old tables on '{context.From.Name}' are archived in schema {archive}";
        }
        else
        {
            await CleanUpAsync(context.From, context.Schema, cancellationToken).ConfigureAwait(false);
            var target = await _dataSource.OpenClusterAsync(context.To, cancellationToken).ConfigureAwait(false);
            await using (target.ConfigureAwait(false))
            {
                await target.ExecuteAsync(new CommandDefinition($"DROP DATABASE IF EXISTS {MoveTable.Quote(context.Schema)}", cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            outcome = $"shard {name}: stays on '{context.From.Name}'; the copy on '{context.To.Name}' is dropped";
        }

        await _units.FinishAsync(context.Dimension, context.Shard, StateName(ShardMoveState.Complete), cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>
    /// Finishes every interrupted move command (or only <paramref name="shardText"/>'s): the recorded command if there is one (a
    /// rollback or complete), otherwise by state (PLAN, COPY, CUTOVER: the move; REVERSE: the rollback); a move that died after
    /// recording MOVED is done, and its record is cleared. Several run at once as a rebalance's moves do (<see cref="Rebalancer"/>:
    /// at most <paramref name="parallel"/>, never two on the same cluster); <paramref name="progress"/> hears the copy only when one
    /// shard is resumed. <paramref name="finished"/> is told of each shard as it finishes. Returns one line per shard, in shard order.
    /// </summary>
    public async Task<IReadOnlyList<string>> ResumeAsync(
        string? shardText, IProgress<MoveProgress>? progress, CancellationToken cancellationToken, int parallel = 1, Action<string>? finished = null)
    {
        await EnsureControlAsync(cancellationToken).ConfigureAwait(false);
        var rows = await ReadRowsAsync(shardText is null ? null : ParseShard(shardText), cancellationToken).ConfigureAwait(false);
        var work = new Dictionary<string, Func<IProgress<MoveProgress>?, CancellationToken, Task<(MoveCutoverResult Result, string Line)>>>(StringComparer.Ordinal);
        var planned = new List<PlannedMove>();
        foreach (var row in rows)
        {
            var name = FormatShard(row);
            var state = ParseState(row.State);
            var recorded = row.Command is null ? null : System.Text.Json.JsonSerializer.Deserialize<string[]>(row.Command)?.FirstOrDefault();
            if (recorded == "complete" && state is ShardMoveState.Moved or ShardMoveState.Reversed)
            {
                work[name] = async (_, ct) => (new MoveCutoverResult(name, true, 0, row.Epoch, 0, null), await CompleteAsync(name, command: null, ct).ConfigureAwait(false));
            }
            else if (recorded == "rollback" || state == ShardMoveState.Reverse)
            {
                work[name] = async (_, ct) =>
                {
                    var result = await RollbackAsync(name, command: null, ct).ConfigureAwait(false);
                    return (result, result.Switched ? $"shard {name}: rolled back to '{row.From}'" : $"shard {name}: rollback not switched: {result.Error}");
                };
            }
            else if (state is ShardMoveState.Plan or ShardMoveState.Copy or ShardMoveState.Cutover)
            {
                work[name] = async (p, ct) =>
                {
                    var result = await MoveAsync(name, row.To, command: null, p, ct).ConfigureAwait(false);
                    return (result, result.Switched ? $"shard {name}: moved to '{row.To}' (epoch {result.Epoch})" : $"shard {name}: not switched: {result.Error}");
                };
            }
            else if (recorded == "move" && state == ShardMoveState.Moved)
            {
                work[name] = (_, _) => Task.FromResult((new MoveCutoverResult(name, true, 0, row.Epoch, 0, null), $"shard {name}: moved to '{row.To}' (epoch {row.Epoch})"));
            }
            else
            {
                continue;
            }

            planned.Add(new PlannedMove(ParseDimension(row.Dimension), row.Shard, row.From, row.To));
        }

        // Copy progress makes sense for one shard; several report one line each as they finish.
        var shared = planned.Count == 1 ? progress : null;
        var lines = new Dictionary<string, string>(StringComparer.Ordinal);
        var outcomes = await new Rebalancer(parallel, _dataSource.TimeProvider).RunAsync(
            planned,
            async (move, ct) =>
            {
                var (result, line) = await work[move.Name](shared, ct).ConfigureAwait(false);
                await RecordCommandAsync(move.Name, null, ct).ConfigureAwait(false);
                lock (lines)
                {
                    lines[move.Name] = line;
                }

                return result;
            },
            outcome => finished?.Invoke(Line(outcome)),
            cancellationToken).ConfigureAwait(false);
        return outcomes.OrderBy(o => planned.IndexOf(o.Move)).Select(Line).ToList();

        string Line(RebalanceOutcome outcome)
        {
            lock (lines)
            {
                return lines.GetValueOrDefault(outcome.Move.Name) ?? $"shard {outcome.Move.Name}: not switched: {outcome.Error}";
            }
        }
    }

    /// <summary>
    /// Switches the shard from the side that serves it to the other (forward: old → new cluster; <paramref name="reverse"/>: back)
    /// through the one switch (<see cref="FenceSwitch"/>): lock the serving fence within the pause budget
    /// (<see cref="ShardMoverOptions.MaxPause"/>); drain the rest with plain reads and compare every table's count and checksum on
    /// both sides; write the serving fence naming the other cluster (epoch + 1), the other fence serving and the placement override,
    /// uncommitted; check the whole pause against the budget (over it: all roll back, the move falls back to COPY); commit in that
    /// order. A run that dies after the first commit is finished by the next one, which finds the serving fence naming the other cluster.
    /// </summary>
    private async Task<MoveCutoverResult> SwitchAsync(MoveContext context, bool reverse, CancellationToken cancellationToken)
    {
        var from = reverse ? context.To : context.From;
        var to = reverse ? context.From : context.To;
        var row = await RequireRowAsync(context, cancellationToken).ConfigureAwait(false);
        var fromFence = await ReadFenceAsync(from, context.Schema, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Shard {context.Name} has no fence on '{from.Name}': run the move's start again (`move-shard resume`).");
        if (fromFence.ServedByCluster(to.Name))
        {
            var finish = await PrepareFinishAsync(context, to, fromFence.Epoch, reverse, cancellationToken).ConfigureAwait(false);
            await using (finish.ConfigureAwait(false))
            {
                await finish.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            await RecordSwitchAsync(context, fromFence.Epoch, reverse, pauseMs: null, cancellationToken).ConfigureAwait(false);
            return new MoveCutoverResult(context.Name, true, 0, fromFence.Epoch, 0, null);
        }

        await SetStateAsync(context, reverse ? ShardMoveState.Reverse : ShardMoveState.Cutover, row.LastError, cancellationToken).ConfigureAwait(false);
        var fence = await _dataSource.OpenClusterAsync(from, cancellationToken).ConfigureAwait(false);
        await using (fence.ConfigureAwait(false))
        {
            var outcome = await new FenceSwitch
            {
                MaxPause = _options.MaxPause,
                Isolation = IsolationLevel.ReadCommitted,
                EpochBefore = fromFence.Epoch,
                Stays = $"shard {context.Name} stays on '{from.Name}'",
                Retry = " and the cutover is tried again",
                UnderFence = "drain, comparison, fences and placement",
                FinishName = $"opening the fence on '{to.Name}' or writing the placement",
                FrozenStep = reverse ? "rollback.frozen" : "cutover.frozen",
                SwitchedStep = reverse ? "rollback.switched" : "cutover.switched",
                LockAsync = async (transaction, ct) =>
                    (await ShardFence.ReadAsync(fence, MoveTable.Quote(context.Schema), transaction, ShardFence.Exclusive, ct).ConfigureAwait(false)
                        ?? throw new InvalidOperationException($"Shard {context.Name} has no fence on '{from.Name}': run the move's start again (`move-shard resume`).")).Epoch,
                FinalAsync = async ct =>
                {
                    var drained = await DrainAsync(context, from, to, frozen: true, ct).ConfigureAwait(false);
                    var differs = await CompareAsync(context, from, to, ct).ConfigureAwait(false);
                    return (drained, differs.Count == 0 ? null : $"shard {context.Name} differs after the drain ({string.Join("; ", differs)}); it stays on '{from.Name}'");
                },
                CloseAsync = (transaction, epoch, ct) => fence.ExecuteAsync(ShardFence.Set(
                    MoveTable.Quote(context.Schema), ShardFenceRow.ServedElsewhere(ShardFenceSignal.ServedByCluster(to.Name), epoch), transaction, ct)),
                PrepareAsync = (epoch, ct) => PrepareFinishAsync(context, to, epoch, reverse, ct),
                FallBackAsync = (error, ct) => FallBackAsync(context, reverse, error, ct),
                StepAsync = StepAsync,
            }.RunAsync(fence, cancellationToken).ConfigureAwait(false);
            if (outcome.Switched)
            {
                await RecordSwitchAsync(context, outcome.Epoch, reverse, outcome.PauseMs, cancellationToken).ConfigureAwait(false);
            }

            return new MoveCutoverResult(context.Name, outcome.Switched, outcome.PauseMs, outcome.Epoch, outcome.ChangesDrained, outcome.Error);
        }
    }

    /// <summary>
    /// Writes the end of a switch without committing it: the fence on <paramref name="to"/> OPEN and the placement override naming
    /// <paramref name="to"/>, each in its own transaction (the placement step calls the <c>cutover.placement</c> hook first).
    /// </summary>
    private async Task<SwitchFinish> PrepareFinishAsync(MoveContext context, ShardCluster to, int epoch, bool reverse, CancellationToken cancellationToken)
    {
        var finish = new SwitchFinish(reverse ? "rollback.opened" : "cutover.opened", StepAsync);
        try
        {
            var target = await _dataSource.OpenClusterAsync(to, cancellationToken).ConfigureAwait(false);
            var targetTransaction = await finish.BeginAsync(target, cancellationToken).ConfigureAwait(false);
            await finish.WriteAsync(target, ShardFence.Set(MoveTable.Quote(context.Schema), ShardFenceRow.Serving(epoch), targetTransaction, cancellationToken)).ConfigureAwait(false);
            await StepAsync(reverse ? "rollback.placement" : "cutover.placement").ConfigureAwait(false);
            var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
            var controlTransaction = await finish.BeginAsync(control, cancellationToken).ConfigureAwait(false);
            await finish.WriteAsync(control, new CommandDefinition(
                $"""
                INSERT INTO `{Control}`.`placements` (dimension, shard, cluster, epoch, updated_at) VALUES (@Dimension, @Shard, @Cluster, @Epoch, UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE cluster = VALUES(cluster), epoch = VALUES(epoch), updated_at = VALUES(updated_at)
                """,
                new { Dimension = DimensionName(context.Dimension), context.Shard, Cluster = to.Name, Epoch = epoch },
                controlTransaction,
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return finish;
        }
        catch
        {
            await finish.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Records MOVED or REVERSED, the epoch and (when measured) the pause.</summary>
    private async Task RecordSwitchAsync(MoveContext context, int epoch, bool reverse, double? pauseMs, CancellationToken cancellationToken)
    {
        await _units.RecordAsync(
            context.Dimension, context.Shard, StateName(reverse ? ShardMoveState.Reversed : ShardMoveState.Moved), error: null, epoch, pauseMs, cancellationToken).ConfigureAwait(false);
        await StepAsync(reverse ? "rollback.recorded" : "cutover.recorded").ConfigureAwait(false);
    }

    private Task FallBackAsync(MoveContext context, bool reverse, string error, CancellationToken cancellationToken) =>
        SetStateAsync(context, reverse ? ShardMoveState.Moved : ShardMoveState.Copy, error, cancellationToken);

    /// <summary>Every table's count and checksum on both sides, read plainly (the fence holds the writers); the tables that differ.</summary>
    private async Task<List<string>> CompareAsync(MoveContext context, ShardCluster from, ShardCluster to, CancellationToken cancellationToken)
    {
        var differs = new List<string>();
        var source = await _dataSource.OpenClusterAsync(from, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var target = await _dataSource.OpenClusterAsync(to, cancellationToken).ConfigureAwait(false);
            await using (target.ConfigureAwait(false))
            {
                foreach (var table in await LoadTablesAsync(source, context.Schema, cancellationToken).ConfigureAwait(false))
                {
                    var a = await source.QuerySingleAsync<(long Count, string Checksum)>(new CommandDefinition(table.ChecksumSql(), cancellationToken: cancellationToken)).ConfigureAwait(false);
                    var b = await target.QuerySingleAsync<(long Count, string Checksum)>(new CommandDefinition(table.ChecksumSql(), cancellationToken: cancellationToken)).ConfigureAwait(false);
                    if (a != b)
                    {
                        differs.Add(string.Create(CultureInfo.InvariantCulture, $"{table.Name}: {a.Count} rows/{a.Checksum} on '{from.Name}', {b.Count} rows/{b.Checksum} on '{to.Name}'"));
                    }
                }
            }
        }

        return differs;
    }

    private async Task<ShardFenceRow?> ReadFenceAsync(ShardCluster cluster, string schema, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await ShardFence.ReadAsync(connection, MoveTable.Quote(schema), transaction: null, locking: "", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes the shard fence (its triggers and tables) from <paramref name="schema"/> on <paramref name="cluster"/>.</summary>
    private async Task CleanUpAsync(ShardCluster cluster, string schema, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ShardFence.RemoveAsync(connection, schema, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Renames every table of <paramref name="schema"/> into <paramref name="archive"/> in one statement, then drops the empty schema.</summary>
    private async Task ArchiveAsync(ShardCluster cluster, string schema, string archive, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var tables = (await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = @Schema AND table_type = 'BASE TABLE'", new { Schema = schema }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
            if (tables.Count > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition($"CREATE DATABASE IF NOT EXISTS {MoveTable.Quote(archive)}", cancellationToken: cancellationToken)).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition(
                    "RENAME TABLE " + string.Join(", ", tables.Select(t => $"{MoveTable.Quote(schema)}.{MoveTable.Quote(t)} TO {MoveTable.Quote(archive)}.{MoveTable.Quote(t)}")),
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            var left = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @Schema", new { Schema = schema }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (left == 0)
            {
                await connection.ExecuteAsync(new CommandDefinition($"DROP DATABASE IF EXISTS {MoveTable.Quote(schema)}", cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
        }
    }

    private static string ArchiveName(string schema, int epoch)
    {
        var suffix = string.Create(CultureInfo.InvariantCulture, $"_moved_e{epoch}");
        return (schema.Length + suffix.Length > 64 ? schema[..(64 - suffix.Length)] : schema) + suffix;
    }
}

using System.Data.Common;
using Dapper;

namespace ShardKit.Migrations.Migration.Moves;

/// <summary>PLAN: the move recorded, the fences, change tables and triggers installed on both sides, the target schema created.</summary>
internal sealed partial class ShardMover
{
    /// <summary>
    /// Records the move of <paramref name="shardText"/> to <paramref name="toName"/> (or picks up the same move already recorded)
    /// and installs fences, change capture and the target schema. Idempotent.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown shard or cluster; the shard is already on that cluster.</exception>
    /// <exception cref="InvalidOperationException">Another move of the shard is under way or not completed.</exception>
    public async Task<ShardMoveStatus> StartAsync(string shardText, string toName, string? command, CancellationToken cancellationToken)
    {
        var (dimension, shard) = ParseShard(shardText);
        var to = FindCluster(toName);
        var name = ShardKit.Routing.ShardSlot.FormatName(dimension, shard);
        var row = await ReadRowAsync(dimension, shard, cancellationToken).ConfigureAwait(false);
        if (row is not null && ParseState(row.State) != ShardMoveState.Complete)
        {
            var state = ParseState(row.State);
            if (state is ShardMoveState.Plan or ShardMoveState.Copy or ShardMoveState.Cutover && string.Equals(row.To, to.Name, StringComparison.OrdinalIgnoreCase))
            {
                // The same move, interrupted: carry on.
                return await SetUpAsync(Context(row), command, cancellationToken).ConfigureAwait(false);
            }

            throw new InvalidOperationException(state is ShardMoveState.Moved or ShardMoveState.Reversed
                ? $"Shard {name} has a move that is {row.State} ({row.From} → {row.To}); run `shardkit move-shard complete --shard {name}` before moving it again."
                : $"Shard {name} is already being moved ({row.State}, {row.From} → {row.To}); run `shardkit move-shard resume` or `rollback --shard {name}` first.");
        }

        var (from, epoch) = await CurrentPlacementAsync(dimension, shard, cancellationToken).ConfigureAwait(false);
        if (ReferenceEquals(from, to))
        {
            throw new ArgumentException($"Shard {name} is already on cluster '{to.Name}'; name another cluster with --to.");
        }

        var schema = _dataSource.Map.GetRoute(dimension, shard).Schema;
        await CheckNoLegacyImportAsync(name, cancellationToken).ConfigureAwait(false);
        await CheckTargetFreeAsync(to, schema, name, cancellationToken).ConfigureAwait(false);
        await CheckCanInstallAsync(name, from, to, cancellationToken).ConfigureAwait(false);
        await _units.ReplaceAsync(dimension, shard, StateName(ShardMoveState.Plan), epoch, command, from.Name, to.Name, cancellationToken).ConfigureAwait(false);
        var created = await ReadRowAsync(dimension, shard, cancellationToken).ConfigureAwait(false);
        return await SetUpAsync(Context(created!), command: null, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ShardMoveStatus> SetUpAsync(MoveContext context, string? command, CancellationToken cancellationToken)
    {
        if (command is not null)
        {
            await RecordCommandAsync(context.Name, command, cancellationToken).ConfigureAwait(false);
        }

        var row = await RequireRowAsync(context, cancellationToken).ConfigureAwait(false);
        if (ParseState(row.State) == ShardMoveState.Plan)
        {
            var installing = context.From;
            try
            {
                await CheckCanInstallAsync(context.Name, context.From, context.To, cancellationToken).ConfigureAwait(false);
                var tables = await InstallSourceAsync(context, row.Epoch, cancellationToken).ConfigureAwait(false);
                await StepAsync("start.source").ConfigureAwait(false);
                installing = context.To;
                await InstallTargetAsync(context, tables, row.Epoch, cancellationToken).ConfigureAwait(false);
                await StepAsync("start.target").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MovePrivilegeException || CapturePrivileges.IsRefusal(ex))
            {
                // No retry or resume gets past a refused grant or setting: undo the start instead of leaving a PLAN row behind.
                var reason = ex is MovePrivilegeException privilege ? privilege.Reason : CapturePrivileges.Explain(ex, CapturePrivileges.Describe(installing));
                throw await AbandonStartAsync(context, reason, cancellationToken).ConfigureAwait(false);
            }

            await SetStateAsync(context, ShardMoveState.Copy, null, cancellationToken).ConfigureAwait(false);
        }

        return (await StatusAsync(context.Name, cancellationToken).ConfigureAwait(false))[0];
    }

    /// <summary>
    /// Refuses, before anything is recorded or installed, a move whose triggers the servers would refuse: with the binary log on,
    /// creating a trigger needs <c>log_bin_trust_function_creators = 1</c> or <c>SUPER</c>, on the old cluster and on the new.
    /// </summary>
    /// <exception cref="MovePrivilegeException">A cluster would refuse the triggers; the message says what to change.</exception>
    private async Task CheckCanInstallAsync(string name, ShardCluster from, ShardCluster to, CancellationToken cancellationToken)
    {
        foreach (var cluster in new[] { from, to })
        {
            var connection = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (await CapturePrivileges.CheckTriggersAsync(connection, CapturePrivileges.Describe(cluster), cancellationToken).ConfigureAwait(false) is { } problem)
                {
                    throw new MovePrivilegeException(name, problem, $"Shard {name} was not moved: {problem}. Nothing was recorded or installed.");
                }
            }
        }
    }

    /// <summary>
    /// Undoes a start the servers refused: drops the triggers and the move's tables on the old cluster, the schema the start
    /// created on the new one (a fresh move's target holds nothing else: <see cref="CheckTargetFreeAsync"/>), and the PLAN row.
    /// Returns the exception to throw: the refusal, and whether the undo left anything (then <c>rollback</c> and <c>complete</c>
    /// clear it once the account has its grants).
    /// </summary>
    private async Task<MovePrivilegeException> AbandonStartAsync(MoveContext context, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await CleanUpAsync(context.From, context.Schema, cancellationToken).ConfigureAwait(false);
            var target = await _dataSource.OpenClusterAsync(context.To, cancellationToken).ConfigureAwait(false);
            await using (target.ConfigureAwait(false))
            {
                await target.ExecuteAsync(new CommandDefinition($"DROP DATABASE IF EXISTS {MoveTable.Quote(context.Schema)}", cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await _units.DeleteAsync(context.Dimension, context.Shard, StateName(ShardMoveState.Plan), cancellationToken).ConfigureAwait(false);
            return new MovePrivilegeException(context.Name, reason,
                $"Shard {context.Name} was not moved: {reason}. The move's triggers and tables were removed and nothing is recorded; run the move again once that is done.");
        }
        catch (DbException undo)
        {
            await SetStateAsync(context, ShardMoveState.Plan, reason, CancellationToken.None).ConfigureAwait(false);
            return new MovePrivilegeException(context.Name, reason,
                $"Shard {context.Name} was not moved: {reason}. Removing what the start installed failed too ({undo.Message.TrimEnd('.')}); " +
                $"once the account has its grants, `shardkit move-shard rollback --shard {context.Name}` then `complete --shard {context.Name}` clear it.");
        }
    }

    /// <summary>
    /// Refuses any move while a legacy import is unfinished (<see cref="UnitStore.UnfinishedAsync"/>): the import writes both
    /// dimensions of every shard with the migrators' session mark (<see cref="MigratorSession"/>), which a move's triggers let
    /// pass, and a move copies tables, not the import's triggers. The two jobs never overlap.
    /// </summary>
    private async Task CheckNoLegacyImportAsync(string name, CancellationToken cancellationToken)
    {
        var import = await _units.UnfinishedAsync(MigrationJob.Import, cancellationToken).ConfigureAwait(false);
        if (import.Count > 0)
        {
            throw new InvalidOperationException(
                $"Shard {name} is part of a legacy import in progress ({import.Count} unit(s) not complete: {string.Join(", ", import.Take(5))}{(import.Count > 5 ? ", ..." : "")}; " +
                "the import writes both dimensions of every shard); finish the import with `shardkit migrate complete` before moving shards.");
        }
    }

    /// <summary>A fresh move must not overwrite a schema of the same name on the target cluster.</summary>
    private async Task CheckTargetFreeAsync(ShardCluster to, string schema, string name, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenClusterAsync(to, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var tables = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @Schema", new { Schema = schema }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (tables > 0)
            {
                throw new InvalidOperationException(
                    $"Cluster '{to.Name}' already has schema '{schema}' with {tables} table(s); shard {name} cannot be moved onto it. Drop or rename that schema first.");
            }
        }
    }

    private async Task<List<MoveTable>> InstallSourceAsync(MoveContext context, int epoch, CancellationToken cancellationToken)
    {
        var source = await _dataSource.OpenClusterAsync(context.From, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            var tables = await LoadTablesAsync(source, context.Schema, cancellationToken).ConfigureAwait(false);
            if (tables.Count == 0)
            {
                throw new InvalidOperationException($"Schema '{context.Schema}' on cluster '{context.From.Name}' has no tables: shard {context.Name} has nothing to move there.");
            }

            await ExecuteAllAsync(source, ShardFence.CreateTables(MoveTable.Quote(context.Schema), ShardFenceRow.Serving(epoch)), cancellationToken).ConfigureAwait(false);
            await ExecuteAllAsync(source, FenceTriggers(context, tables), cancellationToken).ConfigureAwait(false);
            return tables;
        }
    }

    private async Task InstallTargetAsync(MoveContext context, List<MoveTable> tables, int epoch, CancellationToken cancellationToken)
    {
        var ddl = new List<string>();
        var source = await _dataSource.OpenClusterAsync(context.From, cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            foreach (var table in tables)
            {
                var row = await source.QuerySingleAsync<(string Table, string Create)>(new CommandDefinition(
                    $"SHOW CREATE TABLE {table.Qualified}", cancellationToken: cancellationToken)).ConfigureAwait(false);
                ddl.Add(row.Create.Replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", StringComparison.Ordinal));
            }
        }

        var target = await OpenApplyAsync(context.To, cancellationToken).ConfigureAwait(false);
        try
        {
            // The fence first, closed and naming the source: nobody but the mover writes here before the cutover.
            await target.ExecuteAsync(new CommandDefinition($"CREATE DATABASE IF NOT EXISTS {MoveTable.Quote(context.Schema)}", cancellationToken: cancellationToken)).ConfigureAwait(false);
            await ExecuteAllAsync(
                target, ShardFence.CreateTables(MoveTable.Quote(context.Schema), ShardFenceRow.ServedElsewhere(ShardFenceSignal.ServedByCluster(context.From.Name), epoch)), cancellationToken).ConfigureAwait(false);
            await target.ExecuteAsync(new CommandDefinition($"USE {MoveTable.Quote(context.Schema)}", cancellationToken: cancellationToken)).ConfigureAwait(false);
            await ExecuteAllAsync(target, ddl, cancellationToken).ConfigureAwait(false);
            await ExecuteAllAsync(target, FenceTriggers(context, tables), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await CloseApplyAsync(target).ConfigureAwait(false);
        }
    }

    /// <summary>The shard fence's triggers on every table that moves: a write is logged by its primary key.</summary>
    private static IEnumerable<string> FenceTriggers(MoveContext context, List<MoveTable> tables) =>
        tables.SelectMany(t => ShardFence.CreateTriggers(MoveTable.Quote(t.Schema), t.Qualified, t.Name, t.Key, context.Name));

    /// <summary>The schema's base tables (the fence's own left out) with their columns and primary keys.</summary>
    /// <exception cref="InvalidOperationException">A table has no primary key (the copy and the capture need one).</exception>
    private static async Task<List<MoveTable>> LoadTablesAsync(DbConnection connection, string schema, CancellationToken cancellationToken)
    {
        var columns = (await connection.QueryAsync<(string Table, string Column, string Key, string Extra)>(new CommandDefinition(
            """
            SELECT c.table_name, c.column_name, c.column_key, c.extra
            FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = @Schema AND t.table_type = 'BASE TABLE'
            ORDER BY c.table_name, c.ordinal_position
            """,
            new { Schema = schema }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        var keys = (await connection.QueryAsync<(string Table, string Column)>(new CommandDefinition(
            """
            SELECT table_name, column_name FROM information_schema.key_column_usage
            WHERE table_schema = @Schema AND constraint_name = 'PRIMARY' ORDER BY table_name, ordinal_position
            """,
            new { Schema = schema }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        var tables = new List<MoveTable>();
        foreach (var group in columns.GroupBy(c => c.Table, StringComparer.Ordinal))
        {
            if (ShardFence.IsOwnTable(group.Key))
            {
                continue;
            }

            var key = keys.Where(k => k.Table == group.Key).Select(k => k.Column).ToList();
            if (key.Count == 0)
            {
                throw new InvalidOperationException($"Table {schema}.{group.Key} has no primary key; a shard move copies and captures rows by primary key. Add one first.");
            }

            var stored = group.Where(c => !c.Extra.Contains("GENERATED", StringComparison.OrdinalIgnoreCase)
                && !c.Extra.Contains("VIRTUAL", StringComparison.OrdinalIgnoreCase) && !c.Extra.Contains("PERSISTENT", StringComparison.OrdinalIgnoreCase)).Select(c => c.Column).ToList();
            tables.Add(new MoveTable(schema, group.Key, stored, key));
        }

        return tables;
    }
}

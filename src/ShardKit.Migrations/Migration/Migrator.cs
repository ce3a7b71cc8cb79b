using System.Data.Common;
using System.Globalization;
using Dapper;
using ShardKit.Migration;
using ShardKit.Orders;

namespace ShardKit.Migrations.Migration;

/// <summary>
/// The engine behind <c>shardkit migrate</c>: moves the legacy monolith onto the user and merchant shards bucket by bucket
/// (a bucket is one logical user shard). Every step records its progress in the control schema before it moves on and
/// is idempotent, so a run stopped anywhere (Ctrl+C, <c>kill -9</c>) and started again ends in the same state.
/// See docs/migration.md.
/// </summary>
internal sealed partial class Migrator : IDisposable
{
    private const string Control = ControlSchema.Name;

    /// <summary>
    /// The plan's script for every user shard, after the two-dimension schema: the shard fence (<see cref="ShardFence"/>) with
    /// its change table (the order IDs written once the shards serve the bucket, for the reverse flow), closed: the legacy
    /// database serves the bucket, no capture, epoch 0.
    /// </summary>
    private static readonly string s_fenceScript =
        string.Join(";\n\n", ShardFence.CreateTables("{schema}", ShardFenceRow.ServedElsewhere(ShardFenceSignal.Legacy, epoch: 0))) + ";";

    private readonly ShardKitDataSource _dataSource;
    private readonly MigratorOptions _options;
    private readonly ShardCluster _controlCluster;
    private readonly UnitStore _units;
    private readonly LegacySource _source;
    private readonly AlternateKeyStore _keys;
    private readonly ILegacyIdMap _legacyIds;
    private readonly ChangeDrainer _drainer;
    private readonly LegacyIdAssigner _assigner;

    /// <exception cref="ArgumentException">The topology has no legacy database with a database name, or the control cluster is unknown.</exception>
    public Migrator(ShardKitDataSource dataSource, MigratorOptions options)
    {
        _dataSource = dataSource;
        _options = options;
        var legacy = dataSource.Map.Legacy ?? throw new ArgumentException("No legacy database is configured: pass --source or set ShardKit:Legacy in the topology file.");
        if (string.IsNullOrEmpty(legacy.Database))
        {
            throw new ArgumentException($"The legacy connection string ({legacy.Address}) must name the legacy database (Database=...).");
        }

        if (!MigratorSession.Marks(dataSource))
        {
            throw new ArgumentException("The migrator writes through the capture triggers only with a data source built with UseMigratorSessions().", nameof(dataSource));
        }

        _controlCluster = ControlSchema.Cluster(dataSource.Map, options.ControlCluster);
        _units = new UnitStore(dataSource, _controlCluster, MigrationJob.Import);
        _source = new LegacySource(legacy.Database, dataSource.Map);
        _keys = new AlternateKeyStore(dataSource);
        _legacyIds = new AlternateKeyLegacyIdMap(_keys);
        _assigner = new LegacyIdAssigner(dataSource.Map, _legacyIds) { Profile = CopyProfile };
        _drainer = new ChangeDrainer(dataSource, _source, _assigner);
    }

    /// <summary>Test hook: called at named steps (<c>backfill.read</c>, <c>cutover.frozen</c>, ...); a test throws there to simulate a crash.</summary>
    public Func<string, Task>? Step { get; set; }

    /// <summary>Test access to the change drains (interleaving hooks).</summary>
    internal ChangeDrainer Drainer => _drainer;

    public int Buckets => _dataSource.Map.GetShardCount(ShardDimension.User);

    public void Dispose() => _keys.Dispose();

    /// <summary>
    /// Records the command being run, so <c>migrate resume</c> can run it again after a crash; null clears it. A command is
    /// refused while the plan has not finished, so the interrupted plan stays recorded for <c>resume</c>.
    /// </summary>
    public async Task RecordCommandAsync(string? command, CancellationToken cancellationToken)
    {
        if (command is not null)
        {
            RequirePlanned(await StatusAsync(cancellationToken).ConfigureAwait(false));
        }

        await ControlExecuteAsync($"UPDATE `{Control}`.`migration` SET command = @Command, updated_at = UTC_TIMESTAMP(6) WHERE id = 1", new { Command = command }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// PLAN: checks the source, creates the control schema, the target schemas with their fences and change tables, and
    /// the source's migration columns and tables; records every bucket as PLAN. Re-running it changes no state.
    /// </summary>
    public Task<PlanReport> PlanAsync(CancellationToken cancellationToken) => PlanAsync(command: null, cancellationToken);

    /// <summary>
    /// PLAN, recording <paramref name="command"/> as the command being run as soon as the control schema exists, so
    /// <c>migrate resume</c> finishes a plan that was interrupted. The bucket rows come last, in one statement: until they are
    /// there, every step that needs a phase refuses to run.
    /// </summary>
    /// <exception cref="InvalidOperationException">A server would refuse the capture triggers, or refused the migrator's account something: the message says what to change.</exception>
    public async Task<PlanReport> PlanAsync(string? command, CancellationToken cancellationToken)
    {
        await CheckNoShardMovesAsync(cancellationToken).ConfigureAwait(false);
        await CheckTriggerSettingsAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await PlanCoreAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (CapturePrivileges.IsRefusal(ex))
        {
            throw new InvalidOperationException(
                $"The migration plan was refused: {CapturePrivileges.Explain(ex, "a server of the migration")}; then run `migrate plan` again (it keeps what it made and adds the rest).", ex);
        }
    }

    /// <summary>
    /// Refuses to plan while a shard move is unfinished (<see cref="UnitStore.UnfinishedAsync"/>): the import's writes carry the
    /// migrators' session mark, which a move's triggers let pass, and the import's triggers would stay on a moved shard's old
    /// cluster. The two jobs never overlap; nothing is created.
    /// </summary>
    private async Task CheckNoShardMovesAsync(CancellationToken cancellationToken)
    {
        var moves = await _units.UnfinishedAsync(MigrationJob.Move, cancellationToken).ConfigureAwait(false);
        if (moves.Count > 0)
        {
            throw new InvalidOperationException(
                $"The migration was not planned: {moves.Count} shard move(s) are not complete ({string.Join(", ", moves.Take(5))}); " +
                "finish them with `shardkit move-shard complete` first. Nothing was created.");
        }
    }

    /// <summary>Whether every server that gets capture triggers (the legacy server, every cluster's primary) lets this account create them; nothing is created before.</summary>
    private async Task CheckTriggerSettingsAsync(CancellationToken cancellationToken)
    {
        var legacy = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (legacy.ConfigureAwait(false))
        {
            if (await CapturePrivileges.CheckTriggersAsync(legacy, $"the legacy server ({_dataSource.Map.Legacy!.Address})", cancellationToken).ConfigureAwait(false) is { } problem)
            {
                throw new InvalidOperationException($"The migration was not planned: {problem}. Nothing was created.");
            }
        }

        foreach (var cluster in _dataSource.Map.Clusters)
        {
            var connection = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (await CapturePrivileges.CheckTriggersAsync(connection, CapturePrivileges.Describe(cluster), cancellationToken).ConfigureAwait(false) is { } problem)
                {
                    throw new InvalidOperationException($"The migration was not planned: {problem}. Nothing was created.");
                }
            }
        }
    }

    private async Task<PlanReport> PlanCoreAsync(string? command, CancellationToken cancellationToken)
    {
        var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            await _source.LoadAsync(_dataSource, cancellationToken).ConfigureAwait(false);
            var problems = await _source.CheckAsync(source, cancellationToken).ConfigureAwait(false);
            problems.AddRange(await _source.CheckShardsAsync(_dataSource, cancellationToken).ConfigureAwait(false));
            if (problems.Count > 0)
            {
                throw new ArgumentException(
                    $"The legacy tables do not match the declared tables (ShardKit:Tables, ShardKit:LegacyTables); nothing was created: {string.Join("; ", problems)}.");
            }

            var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
            await using (control.ConfigureAwait(false))
            {
                await ControlSchema.EnsureAsync(control, cancellationToken).ConfigureAwait(false);
            }

            var legacy = _dataSource.Map.Legacy!;
            await ControlExecuteAsync(
                $"""
                INSERT INTO `{Control}`.`migration` (id, phase, state_version, source, source_schema, buckets, command, created_at, updated_at)
                VALUES (1, 'PLAN', 1, @Source, @Schema, @Buckets, @Command, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                ON DUPLICATE KEY UPDATE command = IFNULL(VALUES(command), command), updated_at = VALUES(updated_at)
                """,
                new { Source = legacy.Address, Schema = _source.Database, Buckets, Command = command },
                cancellationToken).ConfigureAwait(false);

            using (var store = new TwoDimensionOrderStore(_dataSource))
            {
                await store.EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
            }

            var applied = await new SchemaApplier(_dataSource).ApplyAsync(
                new SchemaApplyOptions { Script = s_fenceScript, Dimensions = [ShardDimension.User] }, progress: null, cancellationToken).ConfigureAwait(false);
            if (!applied.Succeeded)
            {
                throw new ShardKitException(ShardKitErrorCode.SchemaFailed, "The migration tables could not be created on " +
                    string.Join("; ", applied.Shards.Where(s => s.Status == SchemaShardStatus.Failed).Take(5).Select(s => $"{s.Route.Name}: {s.Error}")));
            }

            foreach (var route in _dataSource.Map.GetRoutes(ShardDimension.User))
            {
                var shard = await _dataSource.OpenAsync(route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
                await using (shard.ConfigureAwait(false))
                {
                    // The shard fence of every job, closed: the legacy database serves every bucket until its cutover.
                    var statements = _dataSource.Map.Tables.In(ShardDimension.User)
                        .SelectMany(t => ShardFence.CreateTriggers("{schema}", t.Placeholder, t.Name, [t.OrderIdColumn], route.Name));
                    foreach (var statement in statements)
                    {
                        await shard.Connection.ExecuteAsync(new CommandDefinition(shard.Sql(statement), cancellationToken: cancellationToken)).ConfigureAwait(false);
                    }
                }
            }

            await _source.PrepareAsync(source, Buckets, cancellationToken).ConfigureAwait(false);
            await _units.AddAsync(ShardDimension.User, Enumerable.Range(0, Buckets), MigrationStates.Name(BucketState.Plan), cancellationToken).ConfigureAwait(false);

            var perUser = await source.QueryAsync<(long UserId, long Orders)>(new CommandDefinition(
                _source.Sql($"SELECT {_source.UserColumn}, COUNT(*) FROM {{root}} GROUP BY {_source.UserColumn}"), cancellationToken: cancellationToken)).ConfigureAwait(false);
            var perBucket = new long[Buckets];
            foreach (var (userId, orders) in perUser)
            {
                perBucket[_dataSource.Map.RouteUser(userId).Shard] += orders;
            }

            var items = 0L;
            foreach (var child in _source.Tables.Tables.Skip(1))
            {
                items += await source.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM {_source.TableOf(child.Table)}", cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
            return new PlanReport(
                $"{legacy.Address}/{_source.Database}",
                perBucket.Sum(),
                items,
                Buckets,
                perBucket.Min(),
                perBucket.Max(),
                _dataSource.Map.Clusters.Select(c => c.Name).ToList(),
                status.Phase);
        }
    }

    /// <summary>
    /// CAPTURE: turns change logging on in every source fence (from the next write transaction on, the database makes every
    /// migration-aware writer log), records CAPTURE, and waits until every running application instance has acknowledged it.
    /// </summary>
    /// <returns>The writers that did not acknowledge in time (empty when all did).</returns>
    public async Task<IReadOnlyList<WriterStatus>> StartAsync(CancellationToken cancellationToken)
    {
        var status = await RequirePhaseAsync(cancellationToken, BucketState.Plan, BucketState.Capture, BucketState.Backfill, BucketState.Catchup, BucketState.Verify, BucketState.Cutover, BucketState.Moved).ConfigureAwait(false);
        var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            await source.ExecuteAsync(new CommandDefinition(
                _source.Sql("UPDATE {schema}.`shardkit_fence` SET capture = 1 WHERE authority = 'source'"), cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        if (MigrationStates.Parse(status.Phase) == BucketState.Plan)
        {
            await SetBucketsAsync(BucketState.Plan, BucketState.Capture, cancellationToken).ConfigureAwait(false);
            await SetPhaseAsync(BucketState.Capture, cancellationToken).ConfigureAwait(false);
        }

        return await WaitForAcknowledgementsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until every writer with a recent heartbeat has acknowledged the current state version.</summary>
    public async Task<IReadOnlyList<WriterStatus>> WaitForAcknowledgementsAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.AcknowledgeTimeout;
        while (true)
        {
            var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
            var pending = status.Writers
                .Where(w => w.SecondsSinceHeartbeat <= _options.WriterTimeout.TotalSeconds && w.StateVersion < status.StateVersion)
                .ToList();
            if (pending.Count == 0 || DateTime.UtcNow >= deadline)
            {
                return pending;
            }

            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The control state: phase, version, backfill checkpoint, every bucket (with its pending changes) and every writer.</summary>
    /// <exception cref="InvalidOperationException">No migration is planned on this control cluster.</exception>
    public async Task<MigrationStatus> StatusAsync(CancellationToken cancellationToken)
    {
        await _source.LoadAsync(_dataSource, cancellationToken).ConfigureAwait(false);
        var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            (string Phase, long StateVersion, string Source, string Schema, long Cursor, long Rows, bool Done, string? Command)? migration;
            try
            {
                migration = await control.QuerySingleOrDefaultAsync<(string, long, string, string, long, long, bool, string?)?>(new CommandDefinition(
                    $"SELECT phase, state_version, source, source_schema, backfill_cursor, backfill_rows, backfill_done, command FROM `{Control}`.`migration` WHERE id = 1",
                    cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
            {
                migration = null;
            }

            if (migration is not { } m)
            {
                throw new InvalidOperationException($"No migration is planned on cluster '{_controlCluster.Name}': run `shardkit migrate plan` first.");
            }

            var pending = await PendingChangesAsync(cancellationToken).ConfigureAwait(false);
            var buckets = (await _units.ReadAsync(cancellationToken).ConfigureAwait(false))
                .Select(b => new BucketStatus(b.Shard, b.State, b.Epoch, b.SourceRows, b.TargetRows, b.VerifiedAt, b.PauseMs, pending.GetValueOrDefault(b.Shard), b.LastError))
                .ToList();
            var writers = (await control.QueryAsync<(string WriterId, long StateVersion, double Seconds, string Host, double? LatencyP99)>(new CommandDefinition(
                $"SELECT writer_id, state_version, TIMESTAMPDIFF(MICROSECOND, heartbeat_at, UTC_TIMESTAMP(6)) / 1e6, host, latency_p99_ms FROM `{Control}`.`writers` ORDER BY writer_id",
                cancellationToken: cancellationToken)).ConfigureAwait(false))
                .Select(w => new WriterStatus(w.WriterId, w.StateVersion, w.Seconds, w.Host, w.LatencyP99))
                .ToList();
            return new MigrationStatus(m.Phase, m.StateVersion, $"{m.Source}/{m.Schema}", m.Cursor, m.Rows, m.Done, m.Command, buckets, writers);
        }
    }

    private async Task<Dictionary<int, long>> PendingChangesAsync(CancellationToken cancellationToken)
    {
        var pending = new Dictionary<int, long>();
        try
        {
            var source = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                foreach (var (bucket, count) in await source.QueryAsync<(int, long)>(new CommandDefinition(_source.CountChanges, cancellationToken: cancellationToken)).ConfigureAwait(false))
                {
                    pending[bucket] = count;
                }
            }
        }
        catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
        {
            // Complete: the change tables are gone.
        }

        return pending;
    }

    private async Task<MigrationStatus> RequirePhaseAsync(CancellationToken cancellationToken, params BucketState[] allowed)
    {
        var status = await StatusAsync(cancellationToken).ConfigureAwait(false);
        RequirePlanned(status);
        var phase = MigrationStates.Parse(status.Phase);
        if (!allowed.Contains(phase))
        {
            throw new InvalidOperationException($"The migration is in phase {status.Phase}; this step needs {string.Join(" or ", allowed.Select(MigrationStates.Name))}.");
        }

        return status;
    }

    private void RequirePlanned(MigrationStatus status)
    {
        if (status.Buckets.Count != Buckets)
        {
            throw new InvalidOperationException($"The plan has not finished ({status.Buckets.Count} of {Buckets} buckets recorded): run `shardkit migrate resume` (or `shardkit migrate plan`) first.");
        }
    }

    private Task SetPhaseAsync(BucketState phase, CancellationToken cancellationToken) =>
        ControlExecuteAsync(
            $"UPDATE `{Control}`.`migration` SET phase = @Phase, state_version = state_version + 1, updated_at = UTC_TIMESTAMP(6) WHERE id = 1",
            new { Phase = MigrationStates.Name(phase) },
            cancellationToken);

    private async Task SetBucketsAsync(BucketState from, BucketState to, CancellationToken cancellationToken)
    {
        await _units.SetStatesAsync(MigrationStates.Name(from), MigrationStates.Name(to), cancellationToken).ConfigureAwait(false);
        await BumpVersionAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task BumpVersionAsync(CancellationToken cancellationToken) =>
        ControlExecuteAsync($"UPDATE `{Control}`.`migration` SET state_version = state_version + 1, updated_at = UTC_TIMESTAMP(6) WHERE id = 1", null, cancellationToken);

    private async Task<T> ControlScalarAsync<T>(string sql, CancellationToken cancellationToken)
    {
        var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            return (await control.ExecuteScalarAsync<T>(new CommandDefinition(sql, cancellationToken: cancellationToken)).ConfigureAwait(false))!;
        }
    }

    private async Task ControlExecuteAsync(string sql, object? parameters, CancellationToken cancellationToken)
    {
        var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            await control.ExecuteAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    private async Task StepAsync(string name)
    {
        if (Step is { } step)
        {
            await step(name).ConfigureAwait(false);
        }
    }

    private static string Hex(ulong value) => value.ToString("x16", CultureInfo.InvariantCulture);
}

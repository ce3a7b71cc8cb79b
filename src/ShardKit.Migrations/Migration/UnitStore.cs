using System.Data.Common;
using System.Globalization;
using Dapper;
using MySqlConnector;
using Polly;
using ShardKit.Migration;
using ShardKit.Routing;

namespace ShardKit.Migrations.Migration;

/// <summary>
/// The units of one job in <c>shardkit_control.units</c> (<see cref="ControlSchema.Units"/>), keyed by the job and the unit, a
/// logical shard: a bucket of the legacy import is its user shard, a shard move moves one shard of either dimension. Both jobs
/// read and write their states here (state, epoch, pause, last error, interrupted command, their own figures) and ask here
/// whether the other job has a unit unfinished, so every statement on the table is in this class. A write that InnoDB picks as a
/// deadlock victim (moves that run at once write neighbouring keys) was rolled back whole and is run again.
/// </summary>
internal sealed class UnitStore
{
    private const string Table = $"`{ControlSchema.Name}`.`{ControlSchema.Units}`";
    private const string Key = "job = @Job AND dimension = @Dimension AND shard = @Shard";

    private const string Columns = """
        dimension AS Dimension, shard AS Shard, state AS State, epoch AS Epoch, pause_ms AS PauseMs, last_error AS LastError, command AS Command,
        source_rows AS SourceRows, target_rows AS TargetRows, verified_at AS VerifiedAt,
        from_cluster AS FromCluster, to_cluster AS ToCluster, cursors AS Cursors, copy_done AS CopyDone, rows_copied AS RowsCopied, changes AS Changes
        """;

    // Only lock conflicts: they roll the statement back, so running it again cannot apply it twice.
    private static readonly ResiliencePipeline s_retry = TransientRetry.Create(
        attempts: 10, TimeSpan.FromMilliseconds(20), TimeProvider.System, ex => ex is MySqlException { ErrorCode: MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout });

    private readonly ShardKitDataSource _dataSource;
    private readonly ShardCluster _controlCluster;

    public UnitStore(ShardKitDataSource dataSource, ShardCluster controlCluster, MigrationJob job)
    {
        _dataSource = dataSource;
        _controlCluster = controlCluster;
        Job = job;
    }

    /// <summary>The job whose units this store reads and writes.</summary>
    public MigrationJob Job { get; }

    /// <summary>The stored name of <paramref name="job"/> (<c>import</c>, <c>move</c>).</summary>
    public static string JobName(MigrationJob job) => job == MigrationJob.Import ? ControlSchema.ImportJob : ControlSchema.MoveJob;

    /// <summary>
    /// Every unit of the job, by dimension and shard. A control schema without the table (made by an earlier version) is brought
    /// up to date first (<see cref="ControlSchema.EnsureAsync"/>), which refuses while that version's job is unfinished.
    /// </summary>
    public Task<List<UnitRow>> ReadAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM {Table} WHERE job = @Job ORDER BY dimension, shard", new { Job = JobName(Job) }, cancellationToken);

    /// <summary>The unit <paramref name="dimension"/>:<paramref name="shard"/> of the job; null when none is recorded.</summary>
    public async Task<UnitRow?> ReadAsync(ShardDimension dimension, int shard, CancellationToken cancellationToken) =>
        (await QueryAsync($"SELECT {Columns} FROM {Table} WHERE {Key}", KeyOf(dimension, shard), cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    /// <summary>
    /// The units of <paramref name="job"/> that are not <c>COMPLETE</c>, one line each (<c>merchant:3 COPY</c>, <c>bucket 5 MOVED</c>):
    /// while there is one, the other job refuses to start, because each job's writes carry the migrators' session mark, which the
    /// other job's triggers let pass. A legacy import whose plan recorded the job (its <c>migration</c> row) but not yet its buckets
    /// is unfinished too (<c>the plan (phase PLAN)</c>): the plan fences the user shards before it records the buckets.
    /// </summary>
    public async Task<IReadOnlyList<string>> UnfinishedAsync(MigrationJob job, CancellationToken cancellationToken)
    {
        var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            try
            {
                var units = (await control.QueryAsync<(string Dimension, int Shard, string State)>(new CommandDefinition(
                    $"SELECT dimension, shard, state FROM {Table} WHERE job = @Job AND state <> 'COMPLETE' ORDER BY dimension, shard",
                    new { Job = JobName(job) }, cancellationToken: cancellationToken)).ConfigureAwait(false))
                    .Select(u => job == MigrationJob.Import
                        ? string.Create(CultureInfo.InvariantCulture, $"bucket {u.Shard} {u.State}")
                        : string.Create(CultureInfo.InvariantCulture, $"{u.Dimension}:{u.Shard} {u.State}"))
                    .ToList();
                if (job == MigrationJob.Import && units.Count == 0)
                {
                    var planning = await control.ExecuteScalarAsync<string?>(new CommandDefinition(
                        $"""
                        SELECT phase FROM `{ControlSchema.Name}`.`migration`
                        WHERE id = 1 AND phase <> 'COMPLETE' AND NOT EXISTS (SELECT 1 FROM {Table} WHERE job = @Job)
                        """,
                        new { Job = JobName(job) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                    if (planning is not null)
                    {
                        units.Add($"the plan (phase {planning})");
                    }
                }

                return units;
            }
            catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
            {
                return [];
            }
        }
    }

    /// <summary>Records <paramref name="shards"/> of <paramref name="dimension"/> in <paramref name="state"/>, in one statement; a unit already recorded keeps its row.</summary>
    public Task AddAsync(ShardDimension dimension, IEnumerable<int> shards, string state, CancellationToken cancellationToken) =>
        ExecuteAsync(
            $"INSERT IGNORE INTO {Table} (job, dimension, shard, state, started_at, updated_at) VALUES "
                + string.Join(", ", shards.Select(s => string.Create(CultureInfo.InvariantCulture, $"(@Job, @Dimension, {s}, @State, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))"))),
            new { Job = JobName(Job), Dimension = ShardSlot.DimensionName(dimension), State = state },
            cancellationToken);

    /// <summary>Records a move of one shard in <paramref name="state"/>, replacing the unit's earlier (finished) row; the copy's figures start at zero.</summary>
    public Task ReplaceAsync(ShardDimension dimension, int shard, string state, int epoch, string? command, string fromCluster, string toCluster, CancellationToken cancellationToken)
    {
        var args = KeyOf(dimension, shard);
        args.AddDynamicParams(new { State = state, Epoch = epoch, Command = command, From = fromCluster, To = toCluster });
        return ExecuteAsync(
            $"""
            REPLACE INTO {Table} (job, dimension, shard, state, epoch, command, started_at, updated_at, from_cluster, to_cluster, copy_done, rows_copied, changes)
            VALUES (@Job, @Dimension, @Shard, @State, @Epoch, @Command, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), @From, @To, 0, 0, 0)
            """,
            args,
            cancellationToken);
    }

    /// <summary>Removes the unit's row while it is in <paramref name="state"/> (a start the servers refused).</summary>
    public Task DeleteAsync(ShardDimension dimension, int shard, string state, CancellationToken cancellationToken)
    {
        var args = KeyOf(dimension, shard);
        args.Add("State", state);
        return ExecuteAsync($"DELETE FROM {Table} WHERE {Key} AND state = @State", args, cancellationToken);
    }

    /// <summary>Sets the unit's state, keeping everything else (a switch under way).</summary>
    public Task SetStateAsync(ShardDimension dimension, int shard, string state, CancellationToken cancellationToken) =>
        UpdateAsync(dimension, shard, "state = @State", new { State = state }, cancellationToken);

    /// <summary>Records the unit's state and last error (null clears it) and, when given, its epoch and the pause of its switch.</summary>
    public Task RecordAsync(ShardDimension dimension, int shard, string state, string? error, int? epoch, double? pauseMs, CancellationToken cancellationToken) =>
        UpdateAsync(
            dimension,
            shard,
            "state = @State, last_error = @Error, epoch = IFNULL(@Epoch, epoch), pause_ms = IFNULL(@PauseMs, pause_ms)",
            new { State = state, Error = Truncate(error), Epoch = epoch, PauseMs = pauseMs },
            cancellationToken);

    /// <summary>Records the unit finished in <paramref name="state"/>, in one statement: no error, no interrupted command.</summary>
    public Task FinishAsync(ShardDimension dimension, int shard, string state, CancellationToken cancellationToken) =>
        UpdateAsync(dimension, shard, "state = @State, last_error = NULL, command = NULL", new { State = state }, cancellationToken);

    /// <summary>Records (or clears, with null) the command working on the unit, so <c>resume</c> can run it again.</summary>
    public Task RecordCommandAsync(ShardDimension dimension, int shard, string? command, CancellationToken cancellationToken) =>
        UpdateAsync(dimension, shard, "command = @Command", new { Command = command }, cancellationToken);

    /// <summary>Moves every unit of the job in state <paramref name="from"/> to <paramref name="to"/>, in one statement.</summary>
    public Task SetStatesAsync(string from, string to, CancellationToken cancellationToken) =>
        ExecuteAsync(
            $"UPDATE {Table} SET state = @To, updated_at = UTC_TIMESTAMP(6) WHERE job = @Job AND state = @From",
            new { Job = JobName(Job), From = from, To = to },
            cancellationToken);

    /// <summary>Writes the job's own figures of the unit: <paramref name="assignments"/> (<c>rows_copied = @Rows</c>, ...) with <paramref name="parameters"/>.</summary>
    public Task UpdateAsync(ShardDimension dimension, int shard, string assignments, object? parameters, CancellationToken cancellationToken)
    {
        var args = KeyOf(dimension, shard);
        args.AddDynamicParams(parameters);
        return ExecuteAsync($"UPDATE {Table} SET {assignments}, updated_at = UTC_TIMESTAMP(6) WHERE {Key}", args, cancellationToken);
    }

    private DynamicParameters KeyOf(ShardDimension dimension, int shard)
    {
        var args = new DynamicParameters();
        args.Add("Job", JobName(Job));
        args.Add("Dimension", ShardSlot.DimensionName(dimension));
        args.Add("Shard", shard);
        return args;
    }

    private static string? Truncate(string? text) => text is { Length: > 1000 } ? text[..1000] : text;

    private async Task<List<UnitRow>> QueryAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            try
            {
                return (await control.QueryAsync<UnitRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
            }
            catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
            {
                // An earlier version's control schema: bring it up to date (or refuse its unfinished job); the new table is empty.
                await ControlSchema.EnsureAsync(control, cancellationToken).ConfigureAwait(false);
                return [];
            }
        }
    }

    private async Task ExecuteAsync(string sql, object parameters, CancellationToken cancellationToken)
    {
        await s_retry.ExecuteAsync(
            async (state, ct) =>
            {
                var control = await state.DataSource.OpenClusterAsync(state.Cluster, ct).ConfigureAwait(false);
                await using (control.ConfigureAwait(false))
                {
                    await control.ExecuteAsync(new CommandDefinition(state.Sql, state.Parameters, cancellationToken: ct)).ConfigureAwait(false);
                }
            },
            (DataSource: _dataSource, Cluster: _controlCluster, Sql: sql, Parameters: parameters),
            cancellationToken).ConfigureAwait(false);
    }
}

using System.Data;
using System.Data.Common;
using System.Globalization;
using Dapper;
using MySqlConnector;
using Polly;
using ShardKit.Migration;

namespace ShardKit.Migrations.Migration.Moves;

/// <summary>
/// The engine behind <c>shardkit move-shard</c>: moves one logical shard (one schema) from the cluster that serves it to another,
/// for every writer of the shard, ShardKit's stores and raw SQL alike, because the fence and the change capture are triggers in
/// the shard's own schema (<see cref="ShardFence"/>). Start installs them and creates the target; copy moves the rows in key
/// chunks under shared source locks; drains apply the captured keys by re-reading the source; cutover freezes the fence, drains
/// the rest, compares every table, switches the fences (epoch + 1) and the placement override. Every step records its progress in
/// <c>shardkit_control.units</c> (<see cref="UnitStore"/>) first and is idempotent, so a run stopped anywhere ends the same after <c>resume</c>.
/// </summary>
internal sealed partial class ShardMover
{
    private const string Control = ControlSchema.Name;

    private readonly ShardKitDataSource _dataSource;
    private readonly ShardMoverOptions _options;
    private readonly ShardCluster _controlCluster;
    private readonly UnitStore _units;
    private readonly ShardChangeDrain _drain;

    public ShardMover(ShardKitDataSource dataSource, ShardMoverOptions options)
    {
        if (!MigratorSession.Marks(dataSource))
        {
            throw new ArgumentException("The mover writes through the move's triggers only with a data source built with UseMigratorSessions().", nameof(dataSource));
        }

        _dataSource = dataSource;
        _options = options;
        _controlCluster = ControlSchema.Cluster(dataSource.Map, options.ControlCluster);
        _units = new UnitStore(dataSource, _controlCluster, MigrationJob.Move);
        _drain = new ShardChangeDrain(options.DrainBatch, s_retry, () => StepAsync("drain.applied"));
    }

    /// <summary>Test hook: called at named steps (<c>start.source</c>, <c>copy.chunk</c>, <c>cutover.frozen</c>, ...); a test throws there to simulate a crash.</summary>
    public Func<string, Task>? Step { get; set; }

    /// <summary>Parses <c>user:17</c> or <c>merchant:3</c>.</summary>
    /// <exception cref="ArgumentException">Not a dimension and shard of the topology.</exception>
    public (ShardDimension Dimension, int Shard) ParseShard(string text)
    {
        var parts = (text ?? "").Split(':', 2, StringSplitOptions.TrimEntries);
        ShardDimension? dimension = parts[0].ToLowerInvariant() switch
        {
            "user" => ShardDimension.User,
            "merchant" => ShardDimension.Merchant,
            _ => null,
        };
        if (parts.Length != 2 || dimension is null)
        {
            throw new ArgumentException($"--shard '{text}' is not a shard: write it as user:N or merchant:N (for example user:17).");
        }

        var count = _dataSource.Map.GetShardCount(dimension.Value);
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var shard) || shard >= count)
        {
            throw new ArgumentException($"--shard '{text}': the {parts[0].ToLowerInvariant()} dimension has shards 0 to {count - 1}.");
        }

        return (dimension.Value, shard);
    }

    /// <summary>The cluster named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The topology has no such cluster.</exception>
    public ShardCluster FindCluster(string name, string option = "--to") =>
        _dataSource.Map.Clusters.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"{option} '{name}' is not a cluster of the topology; it has {string.Join(", ", _dataSource.Map.Clusters.Select(c => c.Name))}.");

    /// <summary>The cluster that serves the shard now: its placement override, or the topology file's placement.</summary>
    public async Task<(ShardCluster Cluster, int Epoch)> CurrentPlacementAsync(ShardDimension dimension, int shard, CancellationToken cancellationToken)
    {
        await EnsureControlAsync(cancellationToken).ConfigureAwait(false);
        var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            var row = await control.QuerySingleOrDefaultAsync<(string Cluster, int Epoch)?>(new CommandDefinition(
                $"SELECT cluster, epoch FROM `{Control}`.`placements` WHERE dimension = @Dimension AND shard = @Shard",
                new { Dimension = DimensionName(dimension), Shard = shard }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return row is { } r
                ? (FindCluster(r.Cluster, "placement override"), r.Epoch)
                : (_dataSource.Map.GetRoute(dimension, shard).Cluster, 0);
        }
    }

    /// <summary>Every placement override (moved shards), for the rebalance plan.</summary>
    public async Task<Dictionary<(ShardDimension, int), string>> PlacementOverridesAsync(CancellationToken cancellationToken)
    {
        await EnsureControlAsync(cancellationToken).ConfigureAwait(false);
        var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            var rows = await control.QueryAsync<(string Dimension, int Shard, string Cluster, int Epoch)>(new CommandDefinition(ControlSchema.ReadPlacements, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.ToDictionary(r => (ParseDimension(r.Dimension), r.Shard), r => r.Cluster);
        }
    }

    /// <summary>The shard-move rows, all or one shard's, with the changes pending on the side that serves each.</summary>
    public async Task<IReadOnlyList<ShardMoveStatus>> StatusAsync(string? shardText, CancellationToken cancellationToken)
    {
        await EnsureControlAsync(cancellationToken).ConfigureAwait(false);
        var rows = await ReadRowsAsync(shardText is null ? null : ParseShard(shardText), cancellationToken).ConfigureAwait(false);
        var result = new List<ShardMoveStatus>(rows.Count);
        foreach (var row in rows)
        {
            var state = ParseState(row.State);
            var serving = state is ShardMoveState.Moved or ShardMoveState.Reverse ? row.To : row.From;
            long pending = 0;
            if (state != ShardMoveState.Complete)
            {
                pending = await PendingAsync(FindCluster(serving, "move"), SchemaOf(row), cancellationToken).ConfigureAwait(false);
            }

            result.Add(new ShardMoveStatus(
                FormatShard(row), SchemaOf(row), row.From, row.To, row.State, row.Epoch, row.CopyDone, row.RowsCopied, row.Changes, pending, row.PauseMs, row.LastError, row.Command));
        }

        return result;
    }

    internal sealed record MoveRow(
        string Dimension, int Shard, string From, string To, string State, int Epoch, string? Cursors, bool CopyDone, long RowsCopied, long Changes, double? PauseMs, string? LastError, string? Command)
    {
        /// <summary>A move's unit: its clusters and figures are set from its start on.</summary>
        public static MoveRow Of(UnitRow unit) => new(
            unit.Dimension, unit.Shard, unit.FromCluster ?? "", unit.ToCluster ?? "", unit.State, unit.Epoch, unit.Cursors, unit.CopyDone ?? false,
            unit.RowsCopied ?? 0, unit.Changes ?? 0, unit.PauseMs, unit.LastError, unit.Command);
    }

    private sealed record MoveContext(ShardDimension Dimension, int Shard, string Name, string Schema, ShardCluster From, ShardCluster To);

    private MoveContext Context(MoveRow row)
    {
        var dimension = ParseDimension(row.Dimension);
        return new MoveContext(dimension, row.Shard, FormatShard(row), SchemaOf(row), FindCluster(row.From, "move"), FindCluster(row.To, "move"));
    }

    private string SchemaOf(MoveRow row) => _dataSource.Map.GetRoute(ParseDimension(row.Dimension), row.Shard).Schema;

    private static string FormatShard(MoveRow row) => row.Dimension + ":" + row.Shard.ToString(CultureInfo.InvariantCulture);

    internal static string DimensionName(ShardDimension dimension) => dimension == ShardDimension.User ? "user" : "merchant";

    private static ShardDimension ParseDimension(string name) => name == "merchant" ? ShardDimension.Merchant : ShardDimension.User;

    internal static string StateName(ShardMoveState state) => state.ToString().ToUpperInvariant();

    internal static ShardMoveState ParseState(string name) => Enum.Parse<ShardMoveState>(name, ignoreCase: true);

    private async Task EnsureControlAsync(CancellationToken cancellationToken)
    {
        var control = await _dataSource.OpenClusterAsync(_controlCluster, cancellationToken).ConfigureAwait(false);
        await using (control.ConfigureAwait(false))
        {
            await ControlSchema.EnsureAsync(control, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<MoveRow>> ReadRowsAsync((ShardDimension Dimension, int Shard)? shard, CancellationToken cancellationToken)
    {
        if (shard is { } s)
        {
            return await _units.ReadAsync(s.Dimension, s.Shard, cancellationToken).ConfigureAwait(false) is { } one ? [MoveRow.Of(one)] : [];
        }

        return (await _units.ReadAsync(cancellationToken).ConfigureAwait(false)).Select(MoveRow.Of).ToList();
    }

    private async Task<MoveRow?> ReadRowAsync(ShardDimension dimension, int shard, CancellationToken cancellationToken) =>
        (await ReadRowsAsync((dimension, shard), cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    private async Task<MoveRow> RequireRowAsync(MoveContext context, CancellationToken cancellationToken) =>
        await ReadRowAsync(context.Dimension, context.Shard, cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"Shard {context.Name} has no move recorded.");

    private Task UpdateRowAsync(MoveContext context, string assignments, object? parameters, CancellationToken cancellationToken) =>
        _units.UpdateAsync(context.Dimension, context.Shard, assignments, parameters, cancellationToken);

    private Task SetStateAsync(MoveContext context, ShardMoveState state, string? error, CancellationToken cancellationToken) =>
        _units.RecordAsync(context.Dimension, context.Shard, StateName(state), error, epoch: null, pauseMs: null, cancellationToken);

    /// <summary>Records (or clears, with null) the command working on a shard, so <c>move-shard resume</c> can run it again.</summary>
    public Task RecordCommandAsync(string shardText, string? command, CancellationToken cancellationToken)
    {
        var (dimension, shard) = ParseShard(shardText);
        return _units.RecordCommandAsync(dimension, shard, command, cancellationToken);
    }

    private async Task<long> PendingAsync(ShardCluster cluster, string schema, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                    ShardFence.CountChangesSql(MoveTable.Quote(schema)), cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
            catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
            {
                return 0;
            }
        }
    }

    private async Task StepAsync(string name)
    {
        if (Step is { } step)
        {
            await step(name).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs the move's DDL (fence tables, triggers, target tables) one statement at a time. DDL needs the table's
    /// exclusive metadata lock, so it waits behind the writers' open transactions, and while it waits every new writer of
    /// the table queues behind it: a DDL that waits long enough makes the application's writes time out. So each statement
    /// waits at most <see cref="DdlLockWaitSeconds"/> for the lock (the session's <c>lock_wait_timeout</c>), gives way to
    /// the queued writers when it cannot get it, and tries again (for <see cref="DdlTimeoutSeconds"/> in all). Cancelling
    /// still stops it at once.
    /// </summary>
    private static async Task ExecuteAllAsync(DbConnection connection, IEnumerable<string> statements, CancellationToken cancellationToken, DbTransaction? transaction = null)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            $"SET SESSION lock_wait_timeout = {DdlLockWaitSeconds}", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        try
        {
            foreach (var statement in statements)
            {
                await s_ddlRetry.ExecuteAsync(
                    static (s, ct) => new ValueTask(s.Connection.ExecuteAsync(new CommandDefinition(s.Statement, transaction: s.Transaction, commandTimeout: DdlTimeoutSeconds, cancellationToken: ct))),
                    (Connection: connection, Statement: statement, Transaction: transaction),
                    cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                if (connection.State == ConnectionState.Open)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "SET SESSION lock_wait_timeout = DEFAULT", transaction: transaction, cancellationToken: CancellationToken.None)).ConfigureAwait(false);
                }
            }
            catch (DbException)
            {
                // A broken session: the pool discards it, and the original failure is the one to report.
            }
        }
    }

    /// <summary>How long one DDL statement waits for its metadata lock before it gives way to the writers and tries again.</summary>
    private const int DdlLockWaitSeconds = 1;

    // A DDL that timed out on its metadata lock changed nothing: run it again after the writers queued behind it went through.
    private static readonly ResiliencePipeline s_ddlRetry = TransientRetry.Create(
        attempts: 40, TimeSpan.FromMilliseconds(25), TimeProvider.System, ex => ex is MySqlException { ErrorCode: MySqlErrorCode.LockWaitTimeout });

    /// <summary>How long one statement of the move's DDL may wait and run.</summary>
    private const int DdlTimeoutSeconds = 60;

    /// <summary>A copy session writes a table's rows before the rows they refer to may be there: no foreign key checks.</summary>
    private const string BeginApply = "SET FOREIGN_KEY_CHECKS = 0";

    private const string EndApply = "SET FOREIGN_KEY_CHECKS = 1";

    /// <summary>Opens a copy connection on <paramref name="cluster"/>'s primary (the data source's sessions are the migrator's: the triggers neither fence nor log them), without foreign key checks.</summary>
    private async Task<DbConnection> OpenApplyAsync(ShardCluster cluster, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(BeginApply, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return connection;
    }

    /// <summary>Returns a copy connection to its pool with foreign key checks on again.</summary>
    private static async Task CloseApplyAsync(DbConnection connection)
    {
        try
        {
            if (connection.State == ConnectionState.Open)
            {
                await connection.ExecuteAsync(EndApply).ConfigureAwait(false);
            }
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}

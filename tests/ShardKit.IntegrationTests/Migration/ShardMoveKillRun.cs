using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using ShardKit.Migration;
using ShardKit.Migrations.Migration.Moves;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// Moves of one user shard driven through the real <c>shardkit move-shard</c> CLI (child processes) while random writers (raw
/// SQL and the two-dimension store, <see cref="ShardMoveWorkload"/>) write it from this process through an application data
/// source that follows moves. Keeps a timestamped log of what was done (kills, resumes), which every failure message carries.
/// </summary>
internal sealed class ShardMoveKillRun : ICliRun, IAsyncDisposable
{
    public const int Shard = 1;

    private readonly ITestOutputHelper _output;
    private readonly CliRunRecord _record;
    private readonly CancellationTokenSource _stop = new();
    private Task _writers = Task.CompletedTask;

    private ShardMoveKillRun(ShardMoveTopology topology, string name, ITestOutputHelper output)
    {
        Topology = topology;
        Name = name;
        _output = output;
        Workload = new ShardMoveWorkload(topology, Shard);
        Schema = topology.Mover.Map.GetRoute(ShardDimension.User, Shard).Schema;
        _record = new CliRunRecord("move-shard", topology.ConfigPath);
    }

    public ShardMoveTopology Topology { get; }

    public string Name { get; }

    public ShardMoveWorkload Workload { get; }

    /// <summary>The moved shard's schema (the same name on every cluster).</summary>
    public string Schema { get; }

    public string Log => _record.Log;

    /// <summary>A topology of two clusters (or more) with user:<see cref="Shard"/> on c0, seeded with notes and orders.</summary>
    public static async Task<ShardMoveKillRun> StartAsync(string name, ITestOutputHelper output, int clusters = 2)
    {
        var topology = await ShardMoveTopology.StartAsync(clusters);
        var run = new ShardMoveKillRun(topology, name, output);
        try
        {
            await run.Workload.SeedAsync(notes: 100, orders: 40);
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    public void Write(string line) => _record.Write(line);

    public void StartWriters(int writers) => _writers = Workload.RunAsync(writers, _stop.Token);

    /// <summary>Starts <c>shardkit move-shard &lt;args&gt; --config ...</c>; the run kills it when disposed.</summary>
    public CliProcess StartCli(params string[] args) => _record.Start(args);

    /// <summary>Every move row: how many are recorded, and how many are MOVED, as the control schema shows them now.</summary>
    public async Task<ShardMovesProgress> MovesAsync()
    {
        await using var control = await Topology.OpenClusterAsync(Topology.Mover.Map.Clusters[0].Name);
        try
        {
            var (recorded, moved) = await control.QuerySingleAsync<(long, long)>(
                $"SELECT COUNT(*), IFNULL(SUM(state = 'MOVED'), 0) FROM `{ControlSchema.Name}`.`{ControlSchema.Units}` WHERE job = 'move'");
            return new ShardMovesProgress((int)recorded, (int)moved);
        }
        catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
        {
            return new ShardMovesProgress(0, 0);
        }
    }

    /// <summary>The shard's move row and its schema on every cluster, as the databases show them now.</summary>
    public async Task<ShardMoveProgress> ProgressAsync()
    {
        (string? State, string? Command, long RowsCopied, bool CopyDone)? row = null;
        await using (var control = await Topology.OpenClusterAsync(Topology.Mover.Map.Clusters[0].Name))
        {
            try
            {
                row = await control.QuerySingleOrDefaultAsync<(string?, string?, long, bool)?>(
                    $"SELECT state, command, rows_copied, copy_done FROM `{ControlSchema.Name}`.`{ControlSchema.Units}` WHERE job = 'move' AND dimension = 'user' AND shard = @Shard", new { Shard });
            }
            catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
            {
            }
        }

        var clusters = new SortedDictionary<string, ShardMoveProgress.Side>(StringComparer.Ordinal);
        foreach (var cluster in Topology.Mover.Map.Clusters)
        {
            await using var connection = await Topology.OpenClusterAsync(cluster.Name);
            var side = await connection.QuerySingleAsync<(long Schema, long Triggers, long Tables)>(
                $"""
                SELECT (SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = @Schema),
                    (SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = @Schema AND trigger_name LIKE '{ShardFence.TriggerPrefix}%'),
                    (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = @Schema AND table_name IN ('{ShardFence.FenceTable}', '{ShardFence.ChangeTable}'))
                """,
                new { Schema });
            clusters[cluster.Name] = new ShardMoveProgress.Side(side.Schema > 0, (int)side.Triggers, (int)side.Tables);
        }

        return new ShardMoveProgress(row?.State, row?.Command, row?.RowsCopied ?? 0, row?.CopyDone ?? false, clusters);
    }

    /// <summary>
    /// The part of the moves' state that does not depend on timing: every move row (clusters, state, epoch, whether the copy is
    /// done, last error, interrupted command) and placement override, and per cluster the schemas of the shard (archives
    /// included) with the move's triggers and tables in them.
    /// </summary>
    public async Task<string> SnapshotAsync()
    {
        var text = new StringBuilder();
        await using (var control = await Topology.OpenClusterAsync(Topology.Mover.Map.Clusters[0].Name))
        {
            var rows = await control.QueryAsync<(string Dimension, int Shard, string From, string To, string State, int Epoch, bool CopyDone, string? Error, string? Command)>(
                $"SELECT dimension, shard, from_cluster, to_cluster, state, epoch, copy_done, last_error, command FROM `{ControlSchema.Name}`.`{ControlSchema.Units}` WHERE job = 'move' ORDER BY dimension, shard");
            text.AppendLine(CultureInfo.InvariantCulture, $"moves: {string.Join("; ", rows)}");
            var placements = await control.QueryAsync<(string Dimension, int Shard, string Cluster, int Epoch)>(ControlSchema.ReadPlacements);
            text.AppendLine(CultureInfo.InvariantCulture, $"placements: {string.Join("; ", placements)}");
        }

        foreach (var cluster in Topology.Mover.Map.Clusters)
        {
            await using var connection = await Topology.OpenClusterAsync(cluster.Name);
            var schemas = await connection.QueryAsync<(string Schema, long Triggers, long Tables)>(
                $"""
                SELECT s.schema_name,
                    (SELECT COUNT(*) FROM information_schema.triggers t WHERE t.trigger_schema = s.schema_name AND t.trigger_name LIKE '{ShardFence.TriggerPrefix}%'),
                    (SELECT COUNT(*) FROM information_schema.tables t WHERE t.table_schema = s.schema_name AND t.table_name IN ('{ShardFence.FenceTable}', '{ShardFence.ChangeTable}'))
                FROM information_schema.schemata s WHERE s.schema_name LIKE CONCAT(@Schema, '%') ORDER BY s.schema_name
                """,
                new { Schema });
            text.AppendLine(CultureInfo.InvariantCulture, $"{cluster.Name}: {string.Join(", ", schemas.Select(s => $"{s.Schema} ({s.Triggers} trigger(s), {s.Tables} move table(s))"))}");
        }

        return text.ToString();
    }

    /// <summary>
    /// Stops the writers and checks the end state: no writer saw an error; the shard on <paramref name="cluster"/> holds every
    /// note and order as acknowledged (0 lost, 0 resurrected, 0 different, nothing unknown); the merchant dimension equals the
    /// user dimension. Returns the snapshot (<see cref="SnapshotAsync"/>).
    /// </summary>
    public async Task<string> AssertEndStateAsync(string cluster)
    {
        await _stop.CancelAsync();
        await _writers;
        var problems = new List<string>(Workload.Errors);
        if (Workload.Writes < 100)
        {
            problems.Add($"only {Workload.Writes} writes ran");
        }

        problems.AddRange(await Workload.CheckAsync(cluster, Schema));
        var dimensions = await new DimensionVerifier(Topology.App).VerifyAsync();
        if (!dimensions.Equal)
        {
            problems.Add($"merchant dimension: {dimensions.Remaining} difference(s); {string.Join("; ", dimensions.Shards.Where(s => s.Error is not null).Select(s => s.Error))}");
        }

        var snapshot = await SnapshotAsync();
        Write($"end state: {Workload.Writes} writes, {Workload.Notes.Count} notes and {Workload.Orders.Count} orders written; {problems.Count} problem(s)");
        _output.WriteLine($"--- {Name}\n{Log}");
        Assert.True(problems.Count == 0, $"{Name}: {problems.Count} problem(s):\n{string.Join("\n", problems.Take(20))}\n--- log\n{Log}");
        return snapshot;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _writers.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _record.DisposeAsync();

        await Topology.DisposeAsync();
        _stop.Dispose();
    }
}

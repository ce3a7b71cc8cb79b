using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ShardKit.Migrations.Migration.Moves;
using Spectre.Console;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// <c>shardkit move-shard --shard user:17 --to c2</c> and <c>move-shard status|rollback|complete|resume|plan</c>: moves logical
/// shards between clusters online (docs/migration.md, "Moving shards between clusters"). Every working command records itself on
/// the shard's row in the control schema, so <c>move-shard resume</c> finishes one that was interrupted (Ctrl+C, <c>kill -9</c>).
/// </summary>
public static class MoveShardCommand
{
    private static readonly string s_rollback = JsonSerializer.Serialize(new[] { "rollback" });
    private static readonly string s_complete = JsonSerializer.Serialize(new[] { "complete" });
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private const string ParallelOption = "--parallel";

    private delegate Task<int> Body(ShardMover mover, ShardKitDataSource dataSource, Invocation invocation, CancellationToken cancellationToken);

    /// <summary>Creates the <c>move-shard</c> command and its subcommands.</summary>
    public static Command Create()
    {
        var shard = new Option<string?>("--shard") { Description = "The logical shard: user:N or merchant:N." };
        var to = new Option<string?>("--to") { Description = "The cluster to move the shard to." };
        var maxPause = new Option<int>("--max-pause-ms") { Description = "How long the cutover may hold the shard's writers, the placement update included (100-60000 ms); longer falls back and retries.", DefaultValueFactory = _ => 1000 };
        Cli.RequireRange(maxPause, 100, 60_000);
        var chunk = new Option<int>("--chunk-size") { Description = "Rows per copy chunk (10-10000).", DefaultValueFactory = _ => 500 };
        Cli.RequireRange(chunk, 10, 10_000);
        var parallel = new Option<int>(ParallelOption)
        {
            Description = $"Run at most this many moves at once ({Rebalancer.MinParallel}-{Rebalancer.MaxParallel}), never two on the same cluster; --rows-per-second is shared among them.",
            DefaultValueFactory = _ => 2,
        };
        Cli.RequireRange(parallel, Rebalancer.MinParallel, Rebalancer.MaxParallel);
        var move = Define(
            new Command("move-shard", "Move a logical shard to another cluster online: fence and capture by triggers, chunked copy, verified cutover (epoch + 1)."),
            MoveAsync,
            [shard, to, maxPause, chunk, .. ThrottleOptionsCli.Create()]);

        move.Subcommands.Add(Define(new Command("status", "Show every shard move (or one with --shard): state, clusters, rows copied, changes pending, pause."), StatusAsync, Copy(shard)));
        move.Subcommands.Add(Define(new Command("rollback", "Move the shard back to the cluster it came from (a cutover the other way); nothing written after the cutover is lost."), RollbackAsync, Copy(shard), Copy(maxPause)));
        var writeConfig = new Option<string?>("--write-config") { Description = "Also write the topology file with the placement as it is now (moved shards on their new cluster, MapVersion + 1) to this path (mode 0600: it holds passwords)." };
        move.Subcommands.Add(Define(new Command("complete", "Finish a move or a rollback: drop triggers, fences and change tables; archive the old schema (after a move) or drop the copy (after a rollback)."), CompleteAsync, Copy(shard), writeConfig));
        move.Subcommands.Add(Define(new Command("resume", "Finish the moves, rollbacks and completes that were interrupted (Ctrl+C or a crash), several at once as --execute runs them."), ResumeAsync, [Copy(shard), Copy(maxPause), Copy(chunk), Copy(parallel), .. ThrottleOptionsCli.Create()]));
        var clusters = new Option<string?>("--clusters") { Description = "The clusters to spread the shards over, in order (for example c0,c1,c2,c3)." };
        var dimension = new Option<string>("--dimension") { Description = "user, merchant or all.", DefaultValueFactory = _ => "all" };
        dimension.AcceptOnlyFromAmong("user", "merchant", "all");
        var execute = new Option<bool>("--execute") { Description = "Run the plan: at most --parallel moves at once, never two on the same cluster (re-running continues where it stopped)." };
        move.Subcommands.Add(Define(new Command("plan", "Print the fewest moves that spread the shards evenly over --clusters (2 to 4 clusters: each new one takes a contiguous quarter)."), PlanAsync, [clusters, dimension, execute, parallel, Copy(maxPause), Copy(chunk), .. ThrottleOptionsCli.Create()]));
        return move;
    }

    private static Option<T> Copy<T>(Option<T> option)
    {
        var copy = new Option<T>(option.Name) { Description = option.Description };
        if (option.HasDefaultValue)
        {
            copy.DefaultValueFactory = r => (T)option.GetDefaultValue()!;
        }

        foreach (var validator in option.Validators)
        {
            copy.Validators.Add(validator);
        }

        return copy;
    }

    private static Command Define(Command command, Body body, params Option[] extra)
    {
        var config = TopologyCommand.CreateConfigOption();
        var control = new Option<string?>("--control-cluster") { Description = "The cluster holding the control schema (default: the first)." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        command.Options.Add(config);
        command.Options.Add(control);
        command.Options.Add(json);
        foreach (var option in extra)
        {
            command.Options.Add(option);
        }

        Cli.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var invocation = new Invocation(parseResult, parseResult.GetValue(json), extra);
            invocation.Options = TopologyCommand.LoadValid(parseResult.GetRequiredValue(config));
            if (invocation.Get<string?>("--write-config", null) is { } path)
            {
                // Checked before the shard is touched: a path that cannot be written fails now, not after the work.
                SecretFile.CheckWritable(path, "--write-config");
            }

            try
            {
                await using var dataSource = new ShardKitDataSourceBuilder(invocation.Options).UseMigratorSessions().Build();
                var mover = new ShardMover(dataSource, new ShardMoverOptions
                {
                    ControlCluster = parseResult.GetValue(control),
                    MaxPause = TimeSpan.FromMilliseconds(invocation.Get("--max-pause-ms", 1000)),
                    ChunkSize = invocation.Get("--chunk-size", 500),
                    Throttle = ThrottleOptionsCli.Read(parseResult, extra, invocation.Get(ParallelOption, 1)),
                });
                return await body(mover, dataSource, invocation, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw new CliException(ExitCodes.Interrupted, "paused: stopped at a safe point; run `shardkit move-shard resume` to continue.");
            }
        });
        return command;
    }

    private static async Task<int> MoveAsync(ShardMover mover, ShardKitDataSource dataSource, Invocation invocation, CancellationToken cancellationToken)
    {
        var shard = invocation.Get<string?>("--shard", null);
        var to = invocation.Get<string?>("--to", null);
        if (string.IsNullOrWhiteSpace(shard) || string.IsNullOrWhiteSpace(to))
        {
            throw new ArgumentException("name the shard and the cluster: --shard user:N --to CLUSTER (or use a subcommand: status, rollback, complete, resume, plan).");
        }

        mover.FindCluster(to);
        var result = await WithProgressAsync(invocation, progress => mover.MoveAsync(shard, to, JsonSerializer.Serialize(new[] { "move", "--to", to }), progress, cancellationToken));
        if (result.Switched)
        {
            await mover.RecordCommandAsync(shard, null, CancellationToken.None);
        }

        return await ReportAsync(mover, invocation, [result], "moved to " + to, cancellationToken);
    }

    private static async Task<int> RollbackAsync(ShardMover mover, ShardKitDataSource dataSource, Invocation invocation, CancellationToken cancellationToken)
    {
        var shard = invocation.RequireShard();
        var result = await mover.RollbackAsync(shard, s_rollback, cancellationToken);
        if (result.Switched)
        {
            await mover.RecordCommandAsync(shard, null, CancellationToken.None);
        }

        return await ReportAsync(mover, invocation, [result], "rolled back", cancellationToken);
    }

    private static async Task<int> CompleteAsync(ShardMover mover, ShardKitDataSource dataSource, Invocation invocation, CancellationToken cancellationToken)
    {
        var shard = invocation.RequireShard();
        var outcome = await mover.CompleteAsync(shard, s_complete, cancellationToken);
        string? written = null;
        if (invocation.Get<string?>("--write-config", null) is { } path)
        {
            written = await WriteConfigAsync(mover, dataSource, invocation, path, cancellationToken);
        }

        if (invocation.Json)
        {
            invocation.Output.WriteLine(JsonSerializer.Serialize(new { shard, outcome, configWritten = written }, s_json));
        }
        else
        {
            invocation.Output.WriteLine(outcome);
            invocation.Output.WriteLine(written is null
                ? "Update the topology file's Placement so the moved shard is on its new cluster (--write-config PATH writes it), then raise MapVersion."
                : $"topology with the current placement written to {written}");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> StatusAsync(ShardMover mover, ShardKitDataSource dataSource, Invocation invocation, CancellationToken cancellationToken)
    {
        var moves = await mover.StatusAsync(invocation.Get<string?>("--shard", null), cancellationToken);
        if (invocation.Json)
        {
            invocation.Output.WriteLine(JsonSerializer.Serialize(moves, s_json));
            return ExitCodes.Ok;
        }

        if (moves.Count == 0)
        {
            invocation.Output.WriteLine("no shard moves recorded.");
            return ExitCodes.Ok;
        }

        var table = new Table().AddColumns("shard", "from", "to", "state", "epoch", "rows copied", "changes applied", "pending", "pause ms", "error");
        foreach (var m in moves)
        {
            table.AddRow(m.Shard, m.FromCluster, m.ToCluster, m.State, m.Epoch.ToString(CultureInfo.InvariantCulture), m.RowsCopied.ToString(CultureInfo.InvariantCulture),
                m.ChangesApplied.ToString(CultureInfo.InvariantCulture), m.PendingChanges.ToString(CultureInfo.InvariantCulture),
                m.PauseMs?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-", Markup.Escape(m.LastError ?? ""));
        }

        Cli.Console(invocation.ParseResult).Write(table);
        foreach (var m in moves.Where(m => m.InterruptedCommand is not null))
        {
            invocation.Output.WriteLine($"interrupted on {m.Shard}: {m.InterruptedCommand}; run `shardkit move-shard resume`");
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ResumeAsync(ShardMover mover, ShardKitDataSource dataSource, Invocation invocation, CancellationToken cancellationToken)
    {
        var done = await WithProgressAsync(invocation, progress => mover.ResumeAsync(
            invocation.Get<string?>("--shard", null), progress, cancellationToken, invocation.Get(ParallelOption, 1)));
        if (invocation.Json)
        {
            invocation.Output.WriteLine(JsonSerializer.Serialize(new { resumed = done }, s_json));
        }
        else
        {
            invocation.Output.WriteLine(done.Count == 0 ? "nothing to resume: no move was interrupted." : string.Join(Environment.NewLine, done));
        }

        return done.Any(d => d.Contains("not switched", StringComparison.Ordinal)) ? ExitCodes.Failed : ExitCodes.Ok;
    }

    private static async Task<int> PlanAsync(ShardMover mover, ShardKitDataSource dataSource, Invocation invocation, CancellationToken cancellationToken)
    {
        var list = invocation.Get<string?>("--clusters", null);
        if (string.IsNullOrWhiteSpace(list))
        {
            throw new ArgumentException("name the clusters to spread the shards over: --clusters c0,c1,c2,c3.");
        }

        var clusters = list.Split(',', StringSplitOptions.TrimEntries).Select(c => mover.FindCluster(c, "--clusters").Name).ToList();
        var overrides = await mover.PlacementOverridesAsync(cancellationToken);
        var which = invocation.Get("--dimension", "all");
        var moves = new List<PlannedMove>();
        foreach (var dimension in new[] { ShardDimension.User, ShardDimension.Merchant }.Where(d => which == "all" || which == ShardMover.DimensionName(d)))
        {
            var current = dataSource.Map.GetRoutes(dimension).Select(r => overrides.GetValueOrDefault((dimension, r.Shard)) ?? r.Cluster.Name).ToList();
            moves.AddRange(RebalancePlanner.Plan(dimension, current, clusters));
        }

        if (!invocation.Get("--execute", false))
        {
            if (invocation.Json)
            {
                invocation.Output.WriteLine(JsonSerializer.Serialize(new { clusters, moves = moves.Select(m => new { shard = m.Name, from = m.From, to = m.To }) }, s_json));
            }
            else
            {
                var table = new Table().AddColumns("shard", "from", "to");
                foreach (var m in moves)
                {
                    table.AddRow(m.Name, m.From, m.To);
                }

                Cli.Console(invocation.ParseResult).Write(table);
                invocation.Output.WriteLine(FormattableString.Invariant(
                    $"{moves.Count} move(s) spread the shards evenly over {string.Join(", ", clusters)}; run with --execute to move them, at most {invocation.Get(ParallelOption, 2)} at once (--parallel) and never two on the same cluster."));
            }

            return ExitCodes.Ok;
        }

        var rebalancer = new Rebalancer(invocation.Get(ParallelOption, 2), dataSource.TimeProvider);
        var outcomes = await rebalancer.RunAsync(
            moves,
            async (m, ct) =>
            {
                var result = await mover.MoveAsync(m.Name, m.To, JsonSerializer.Serialize(new[] { "move", "--to", m.To }), progress: null, ct);
                if (result.Switched)
                {
                    await mover.RecordCommandAsync(m.Name, null, CancellationToken.None);
                }

                return result;
            },
            outcome =>
            {
                if (!invocation.Json)
                {
                    invocation.Output.WriteLine(outcome.Switched
                        ? FormattableString.Invariant($"{outcome.Move.Name}: {outcome.Move.From} → {outcome.Move.To}, pause {outcome.Result!.PauseMs:0.0} ms, {outcome.Elapsed.TotalSeconds:0.0} s")
                        : $"{outcome.Move.Name}: {outcome.Move.From} → {outcome.Move.To} not switched: {outcome.Error?.TrimEnd('.')}; no new move starts, the running ones finish");
                }
            },
            cancellationToken);
        var failed = outcomes.Where(o => !o.Switched).ToList();
        if (failed.Count > 0 && !invocation.Json)
        {
            invocation.Error.WriteLine($"rebalance stopped: {string.Join("; ", failed.Select(o => $"{o.Move.Name} not switched: {o.Error?.TrimEnd('.')}"))}. " +
                "Fix the cause, then run `shardkit move-shard resume` (or this plan again) to finish.");
        }

        return await ReportAsync(mover, invocation, outcomes.Select(o => o.AsResult()).ToList(), "moved", cancellationToken, outcomes);
    }

    private static async Task<int> ReportAsync(
        ShardMover mover, Invocation invocation, IReadOnlyList<MoveCutoverResult> results, string done, CancellationToken cancellationToken, IReadOnlyList<RebalanceOutcome>? schedule = null)
    {
        var pauses = results.Where(r => r.Switched && r.PauseMs > 0).Select(r => r.PauseMs).ToList();
        if (invocation.Json)
        {
            var status = new List<ShardMoveStatus>();
            foreach (var r in results)
            {
                status.AddRange(await mover.StatusAsync(r.Shard, cancellationToken));
            }

            invocation.Output.WriteLine(JsonSerializer.Serialize(new
            {
                results,
                moves = status,
                pauseP50Ms = ShardKit.Migrations.Migration.MigrationWorkload.Percentile(pauses, 0.5),
                pauseP99Ms = ShardKit.Migrations.Migration.MigrationWorkload.Percentile(pauses, 0.99),
                schedule = schedule?.Select(o => new { shard = o.Move.Name, from = o.Move.From, to = o.Move.To, o.Switched, o.Error, startedAt = o.Started, finishedAt = o.Finished }),
            }, s_json));
        }
        else
        {
            foreach (var r in results)
            {
                if (!r.Switched)
                {
                    invocation.Output.WriteLine($"shard {r.Shard}: not switched: {r.Error}");
                    continue;
                }

                var row = (await mover.StatusAsync(r.Shard, cancellationToken))[0];
                invocation.Output.WriteLine(FormattableString.Invariant(
                    $"shard {r.Shard}: {done} ({row.FromCluster} → {row.ToCluster}), epoch {r.Epoch}, {row.RowsCopied} rows copied, {row.ChangesApplied} changes applied, pause {r.PauseMs:0.0} ms"));
            }

            if (results.Any(r => r.Switched))
            {
                invocation.Output.WriteLine("Applications with ShardKit:ShardMoves follow the new placement within their poll interval; `move-shard complete --shard S --write-config PATH` cleans up and writes the topology file.");
            }
        }

        return results.All(r => r.Switched) ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static async Task<T> WithProgressAsync<T>(Invocation invocation, Func<IProgress<MoveProgress>?, Task<T>> work)
    {
        if (invocation.Json)
        {
            // Why the copy waits goes to stderr, so stdout stays one JSON document.
            return await work(new SyncProgress<MoveProgress>(p =>
            {
                if (p.WaitingFor is { } reason)
                {
                    invocation.Error.WriteLine(reason);
                }
            }));
        }

        T result = default!;
        await Cli.Console(invocation.ParseResult).Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("copy", maxValue: 1);
                result = await work(new SyncProgress<MoveProgress>(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = Math.Min(p.Done, task.MaxValue);
                    task.Description = Markup.Escape(FormattableString.Invariant(
                        $"{p.Phase} {p.Table}: {p.Done}/{p.Total} rows, {p.RowsPerSecond:0} rows/s, ETA {(p.Eta is { } eta ? eta.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "-")}{(p.WaitingFor is { } reason ? "; " + reason : "")}"));
                }));
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>Writes the topology file with every dimension's placement as it is now (overrides applied) and MapVersion + 1.</summary>
    private static async Task<string> WriteConfigAsync(ShardMover mover, ShardKitDataSource dataSource, Invocation invocation, string path, CancellationToken cancellationToken)
    {
        var source = invocation.ParseResult.GetRequiredValue<string>("--config");
        var root = JsonNode.Parse(await File.ReadAllTextAsync(source, cancellationToken))!;
        var section = root[ShardKitOptions.SectionName]!.AsObject();
        var overrides = await mover.PlacementOverridesAsync(cancellationToken);
        var dimensions = section["Dimensions"] as JsonObject ?? [];
        section["Dimensions"] = dimensions;
        foreach (var dimension in new[] { ShardDimension.User, ShardDimension.Merchant })
        {
            var current = dataSource.Map.GetRoutes(dimension).Select(r => overrides.GetValueOrDefault((dimension, r.Shard)) ?? r.Cluster.Name).ToList();
            var placement = new JsonArray();
            for (var first = 0; first < current.Count;)
            {
                var last = first;
                while (last + 1 < current.Count && current[last + 1] == current[first])
                {
                    last++;
                }

                placement.Add(new JsonObject
                {
                    ["Shards"] = first == last ? first.ToString(CultureInfo.InvariantCulture) : FormattableString.Invariant($"{first}-{last}"),
                    ["Cluster"] = current[first],
                });
                first = last + 1;
            }

            var name = dimension == ShardDimension.User ? "User" : "Merchant";
            var node = dimensions[name] as JsonObject ?? [];
            dimensions[name] = node;
            node["ShardCount"] = current.Count;
            node["Placement"] = placement;
        }

        section["MapVersion"] = invocation.Options.MapVersion + 1;
        await SecretFile.WriteAllTextAsync(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", cancellationToken);
        return path;
    }

    /// <summary>What a <c>move-shard</c> command was asked: its own options and the invocation's output.</summary>
    private sealed class Invocation(ParseResult parseResult, bool json, IReadOnlyList<Option> extra)
    {
        public ParseResult ParseResult { get; } = parseResult;

        public bool Json { get; } = json;

        public ShardKitOptions Options { get; set; } = new();

        public TextWriter Output => ParseResult.InvocationConfiguration.Output;

        public TextWriter Error => ParseResult.InvocationConfiguration.Error;

        public T Get<T>(string option, T fallback) => extra.Any(o => o.Name == option) ? ParseResult.GetValue<T>(option) ?? fallback : fallback;

        public string RequireShard() =>
            Get<string?>("--shard", null) is { Length: > 0 } shard ? shard : throw new ArgumentException("name the shard: --shard user:N or merchant:N.");
    }
}

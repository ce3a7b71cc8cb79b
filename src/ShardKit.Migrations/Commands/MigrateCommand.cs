using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ShardKit.Migrations.Migration;
using Spectre.Console;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// <c>shardkit migrate plan|start|backfill|verify|cutover|reverse|rollback|complete|status|resume</c>: the online move from
/// the legacy monolith to the shards (docs/migration.md). Every command records itself in the control schema before it
/// works and clears the record when done, so <c>migrate resume</c> runs an interrupted one (Ctrl+C, <c>kill -9</c>) again;
/// every step is idempotent.
/// </summary>
public static class MigrateCommand
{
    /// <summary>Exit code after Ctrl+C: the work stopped at a safe point; <c>migrate resume</c> continues it.</summary>
    internal const int ExitPaused = ExitCodes.Interrupted;

    /// <summary>The environment variable the legacy database's password may come from (instead of the command line).</summary>
    internal const string SourcePasswordVariable = "SHARDKIT_SOURCE_PASSWORD";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Creates the <c>migrate</c> command and its subcommands.</summary>
    public static Command Create()
    {
        var migrate = new Command("migrate", "Move the legacy order database onto the user and merchant shards online, bucket by bucket (a bucket is one logical user shard).");
        migrate.Subcommands.Add(Step("plan", "Check the source, create the control schema, the target schemas, fences and change tables; a dry-run report.", (m, c, ctx, ct) => PlanAsync(m, c, ctx, ct)));
        migrate.Subcommands.Add(Step("start", "Enter CAPTURE: writers log every change in their own transaction; waits for every running writer's acknowledgement.", StartAsync));
        var chunk = new Option<int>("--chunk-size") { Description = "Legacy rows per chunk (10-10000).", DefaultValueFactory = _ => 10_000 };
        Cli.RequireRange(chunk, 10, 10_000);
        migrate.Subcommands.Add(Step("backfill", "Copy all history in key chunks (throttled, checkpointed), then apply the logged changes (CATCHUP).", BackfillAsync, [chunk, .. ThrottleOptionsCli.Create()]));
        var repair = new Option<bool>("--repair") { Description = "Rewrite every differing order from the source." };
        var buckets = new Option<string?>("--buckets") { Description = "Buckets to work on: a list like 0,5,10-19 (default: all that are ready)." };
        migrate.Subcommands.Add(Step("verify", "Compare every bucket on both sides (count and checksum, then rows); with --repair fix the target from the source.", VerifyAsync, repair, buckets));
        var all = new Option<bool>("--all") { Description = "Every bucket that is ready." };
        var maxPause = new Option<int>("--max-pause-ms") { Description = "How long writers of a bucket may be held (100-60000 ms); a longer switch rolls back and is tried again (5 attempts in all), then the bucket stays where it was.", DefaultValueFactory = _ => 1000 };
        Cli.RequireRange(maxPause, 100, 60_000);
        migrate.Subcommands.Add(Step("cutover", "Switch buckets to the shards one at a time: freeze the fence, drain, verify, switch (epoch + 1).", CutoverAsync, buckets, all, maxPause));
        var follow = new Option<bool>("--follow") { Description = "Keep applying until Ctrl+C." };
        migrate.Subcommands.Add(Step("reverse", "Apply the changes written on the shards of moved buckets back to the source (keeps rollback instant).", ReverseAsync, follow));
        migrate.Subcommands.Add(Step("rollback", "Switch moved buckets back to the source (a cutover in the other direction); nothing written after cutover is lost.", RollbackAsync, buckets, all, maxPause));
        migrate.Subcommands.Add(Step("complete", "Finish: drop fences and change tables, archive the legacy tables (every bucket must be moved).", CompleteAsync));
        migrate.Subcommands.Add(Step("status", "Show the phase, every bucket and every writer.", StatusAsync));
        migrate.Subcommands.Add(Step("resume", "Run the command that was interrupted (Ctrl+C or a crash) again.", ResumeAsync));
        return migrate;
    }

    private delegate Task<int> StepBody(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken);

    private static Command Step(string name, string description, StepBody body, params Option[] extra)
    {
        var config = TopologyCommand.CreateConfigOption();
        var source = new Option<string?>("--source")
        {
            Description = $"The legacy database's connection string (with Database=...); default: ShardKit:Legacy of the topology file. Leave its password out (it would show in ps and shell history): give it with --source-password-file or {SourcePasswordVariable} (it is given to ShardKit:LegacyReplicas too).",
        };
        var sourcePasswordFile = new Option<FileInfo?>("--source-password-file")
        {
            Description = $"A file whose first line is the legacy database's password; it replaces {SourcePasswordVariable} and any password in --source or the topology file.",
        };
        var control = new Option<string?>("--control-cluster") { Description = "The cluster holding the control schema (default: the first)." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var command = new Command(name, description) { config, source, sourcePasswordFile, control, json };
        foreach (var option in extra)
        {
            command.Options.Add(option);
        }

        Cli.SetAction(command, async (parseResult, cancellationToken) =>
        {
            var options = TopologyCommand.LoadValid(parseResult.GetRequiredValue(config));
            if (LegacyConnectionString(parseResult.GetValue(source) ?? options.Legacy, parseResult.GetValue(sourcePasswordFile)) is { } legacy
                && legacy != options.Legacy)
            {
                options.Legacy = legacy;

                // The legacy replicas have the primary's accounts (replicated): the same password.
                for (var i = 0; i < options.LegacyReplicas.Count; i++)
                {
                    options.LegacyReplicas[i] = LegacyConnectionString(options.LegacyReplicas[i], parseResult.GetValue(sourcePasswordFile)) ?? options.LegacyReplicas[i];
                }

                if (ShardMap.Validate(options) is { Count: > 0 } errors)
                {
                    throw CliException.Usage("--source is not a valid connection string: " + string.Join("; ", errors), errors);
                }
            }

            var context = new StepContext(parseResult, name, parseResult.GetValue(json), extra);
            await using var dataSource = new ShardKitDataSourceBuilder(options).UseMigratorSessions().Build();
            try
            {
                using var migrator = new Migrator(dataSource, new MigratorOptions
                {
                    ControlCluster = parseResult.GetValue(control),
                    ChunkSize = context.Has("--chunk-size") ? context.Get<int>("--chunk-size") : 10_000,
                    Throttle = ThrottleOptionsCli.Read(parseResult, extra),
                });
                var recorded = name is not ("status" or "resume");
                if (recorded && name != "plan")
                {
                    await migrator.RecordCommandAsync(context.Recorded(), cancellationToken);
                }

                var exit = await body(migrator, Cli.Console(parseResult), context, cancellationToken);
                if (recorded && exit == ExitCodes.Ok)
                {
                    await migrator.RecordCommandAsync(null, CancellationToken.None);
                }

                return exit;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw new CliException(ExitCodes.Interrupted, $"paused: `{name}` stopped at a safe point; run `shardkit migrate resume` to continue.");
            }
            catch (Exception ex) when (CliErrors.AuthenticationFailure(ex) is null && (CliErrors.IsUnreachable(ex) || ex is InvalidOperationException))
            {
                // A connection lost mid-statement does not say which server it was (and a later use of that connection only
                // says it is not open): name what cannot be reached now.
                var (diagnosis, anyDown) = await ServerReachability.DescribeAsync(dataSource, CancellationToken.None);
                if (!CliErrors.IsUnreachable(ex) && !anyDown)
                {
                    throw;
                }

                throw new CliException(ExitCodes.Unreachable, CliErrors.OneLine(ex) + " " + diagnosis);
            }
        });
        return command;
    }

    /// <summary>
    /// The legacy database's connection string with its password from <paramref name="passwordFile"/> or
    /// <see cref="SourcePasswordVariable"/> when either is given (the file wins); <paramref name="connectionString"/> as it is otherwise.
    /// </summary>
    /// <exception cref="CliException">A usage error: the file cannot be read, or a password is given but no legacy database.</exception>
    internal static string? LegacyConnectionString(string? connectionString, FileInfo? passwordFile)
    {
        string? password = null;
        if (passwordFile is not null)
        {
            try
            {
                using var reader = new StreamReader(passwordFile.FullName);
                password = reader.ReadLine() ?? "";
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw CliException.Usage($"--source-password-file: cannot read '{passwordFile}': {ex.Message}");
            }
        }
        else if (Environment.GetEnvironmentVariable(SourcePasswordVariable) is { Length: > 0 } fromEnvironment)
        {
            password = fromEnvironment;
        }

        if (password is null)
        {
            return connectionString;
        }

        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw CliException.Usage($"a legacy database password was given (--source-password-file or {SourcePasswordVariable}) but no legacy database: give --source or ShardKit:Legacy in the topology file.");
        }

        var builder = new System.Data.Common.DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException)
        {
            throw CliException.Usage("--source is not a valid connection string (a key=value; list).");
        }

        builder.Remove("pwd");
        builder.Remove("password");
        builder["Password"] = password;
        return builder.ConnectionString;
    }

    private static async Task<int> PlanAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken)
    {
        var report = await migrator.PlanAsync(context.Recorded(), cancellationToken);
        if (context.Json)
        {
            context.Output.WriteLine(JsonSerializer.Serialize(report, s_json));
            return ExitCodes.Ok;
        }

        context.Output.WriteLine(FormattableString.Invariant(
            $"source {report.Source}: {report.SourceOrders} orders, {report.SourceItems} items → {report.Buckets} buckets ({report.MinBucketOrders}-{report.MaxBucketOrders} orders each) on clusters {string.Join(", ", report.TargetClusters)}"));
        context.Output.WriteLine($"phase {report.Phase}: control schema, target fences and change tables, source columns and fences are in place. Next: deploy writers with MigratingOrderStore, then `shardkit migrate start`.");
        return ExitCodes.Ok;
    }

    private static async Task<int> StartAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken)
    {
        var pending = await migrator.StartAsync(cancellationToken);
        var status = await migrator.StatusAsync(cancellationToken);
        if (context.Json)
        {
            context.Output.WriteLine(JsonSerializer.Serialize(new { phase = status.Phase, stateVersion = status.StateVersion, writers = status.Writers, pending }, s_json));
        }
        else
        {
            context.Output.WriteLine(FormattableString.Invariant($"phase {status.Phase} (state version {status.StateVersion}): {status.Writers.Count - pending.Count} writer(s) acknowledged, {pending.Count} pending"));
            foreach (var writer in pending)
            {
                context.Error.WriteLine(FormattableString.Invariant($"not acknowledged: {writer.WriterId} on {writer.Host} (saw version {writer.StateVersion}, last seen {writer.SecondsSinceHeartbeat:0.0} s ago)"));
            }
        }

        return pending.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static async Task<int> BackfillAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken)
    {
        MigrationProgress? last = null;
        if (context.Json)
        {
            await migrator.BackfillAsync(new SyncProgress<MigrationProgress>(p =>
            {
                last = p;
                if (p.WaitingFor is { } reason)
                {
                    // Why the copy waits goes to stderr, so stdout stays one JSON document.
                    context.Error.WriteLine(reason);
                }
            }), cancellationToken);
        }
        else
        {
            await console.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("backfill", maxValue: 1);
                    await migrator.BackfillAsync(new SyncProgress<MigrationProgress>(p =>
                    {
                        last = p;
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = p.Done;
                        task.Description = Describe(p);
                    }), cancellationToken);
                    task.Value = task.MaxValue;
                });
        }

        var status = await migrator.StatusAsync(cancellationToken);
        if (context.Json)
        {
            context.Output.WriteLine(JsonSerializer.Serialize(new { phase = status.Phase, rows = status.BackfillRows, last }, s_json));
        }
        else
        {
            context.Output.WriteLine(FormattableString.Invariant($"phase {status.Phase}: {status.BackfillRows} rows copied; {status.Buckets.Sum(b => b.PendingChanges)} change(s) pending"));
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> VerifyAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken)
    {
        var reports = await migrator.VerifyAsync(context.Get<bool>("--repair"), context.Buckets(migrator.Buckets), progress: null, cancellationToken);
        if (context.Json)
        {
            context.Output.WriteLine(JsonSerializer.Serialize(reports.Select(r => new { r.Bucket, r.SourceCount, r.TargetCount, r.SourceChecksum, r.TargetChecksum, r.Equal, r.Differences }), s_json));
        }
        else
        {
            var table = new Table().AddColumns("bucket", "source rows", "target rows", "source checksum", "target checksum", "result");
            foreach (var r in reports)
            {
                table.AddRow(r.Bucket.ToString(CultureInfo.InvariantCulture), r.SourceCount.ToString(CultureInfo.InvariantCulture), r.TargetCount.ToString(CultureInfo.InvariantCulture), r.SourceChecksum, r.TargetChecksum,
                    r.Equal ? (r.Differences.Count > 0 ? $"repaired {r.Differences.Count}" : "equal") : $"{r.Differences.Count} differ");
            }

            console.Write(table);
            foreach (var d in reports.SelectMany(r => r.Differences).Take(50))
            {
                context.Output.WriteLine(FormattableString.Invariant($"  order {d.OrderId}: {d.Kind}, source v{d.SourceVersion?.ToString(CultureInfo.InvariantCulture) ?? "-"}, target v{d.TargetVersion?.ToString(CultureInfo.InvariantCulture) ?? "-"}{(d.Repaired ? ", repaired" : "")}"));
            }

            context.Output.WriteLine(FormattableString.Invariant($"{reports.Count(r => r.Equal)} of {reports.Count} bucket(s) equal"));
        }

        return reports.All(r => r.Equal) ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static Task<int> CutoverAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken) =>
        SwitchAsync(migrator, context, rollback: false, cancellationToken);

    private static Task<int> RollbackAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken) =>
        SwitchAsync(migrator, context, rollback: true, cancellationToken);

    private static async Task<int> SwitchAsync(Migrator migrator, StepContext context, bool rollback, CancellationToken cancellationToken)
    {
        var selected = context.Buckets(migrator.Buckets);
        if (selected is null && !context.Get<bool>("--all"))
        {
            throw CliException.Usage("name the buckets: --buckets LIST or --all.");
        }

        var maxPause = TimeSpan.FromMilliseconds(context.Get<int>("--max-pause-ms"));
        var results = rollback
            ? await migrator.RollbackAsync(selected, maxPause, cancellationToken)
            : await migrator.CutoverAsync(selected, maxPause, cancellationToken);
        var pauses = results.Where(r => r.Switched && r.PauseMs > 0).Select(r => r.PauseMs).ToList();
        if (context.Json)
        {
            context.Output.WriteLine(JsonSerializer.Serialize(new
            {
                results,
                pauseP50Ms = MigrationWorkload.Percentile(pauses, 0.5),
                pauseP99Ms = MigrationWorkload.Percentile(pauses, 0.99),
            }, s_json));
        }
        else
        {
            foreach (var r in results)
            {
                context.Output.WriteLine(r.Switched
                    ? FormattableString.Invariant($"bucket {r.Bucket}: {(rollback ? "back on the source" : "moved")}, epoch {r.Epoch}, pause {r.PauseMs:0.0} ms, {r.ChangesDrained} change(s) drained under the fence")
                    : $"bucket {r.Bucket}: not switched: {r.Error}");
            }

            context.Output.WriteLine(FormattableString.Invariant(
                $"{results.Count(r => r.Switched)} of {results.Count} switched; pause p50 {MigrationWorkload.Percentile(pauses, 0.5):0.0} ms, p99 {MigrationWorkload.Percentile(pauses, 0.99):0.0} ms"));
        }

        return results.All(r => r.Switched) ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static async Task<int> ReverseAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken)
    {
        var applied = await migrator.ReverseAsync(context.Get<bool>("--follow"), cancellationToken);
        context.Output.WriteLine(context.Json ? JsonSerializer.Serialize(new { applied }, s_json) : FormattableString.Invariant($"{applied} change(s) applied to the source"));
        return ExitCodes.Ok;
    }

    private static async Task<int> CompleteAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken)
    {
        await migrator.CompleteAsync(cancellationToken);
        context.Output.WriteLine(context.Json ? JsonSerializer.Serialize(new { phase = "COMPLETE" }, s_json) : "phase COMPLETE: fences and change tables dropped, legacy tables archived as orders_archived and order_items_archived.");
        return ExitCodes.Ok;
    }

    private static async Task<int> StatusAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken)
    {
        var status = await migrator.StatusAsync(cancellationToken);
        if (context.Json)
        {
            context.Output.WriteLine(JsonSerializer.Serialize(status, s_json));
            return ExitCodes.Ok;
        }

        context.Output.WriteLine(FormattableString.Invariant(
            $"phase {status.Phase} (state version {status.StateVersion}), source {status.Source}, backfill {(status.BackfillDone ? "done" : "at key " + status.BackfillCursor.ToString(CultureInfo.InvariantCulture))}, {status.BackfillRows} rows copied"));
        if (status.InterruptedCommand is { } interrupted)
        {
            context.Output.WriteLine($"interrupted: `{interrupted}`; run `shardkit migrate resume`");
        }

        var table = new Table().AddColumns("bucket", "state", "epoch", "pending", "source rows", "target rows", "pause ms", "error");
        foreach (var b in status.Buckets)
        {
            table.AddRow(
                b.Bucket.ToString(CultureInfo.InvariantCulture), b.State, b.Epoch.ToString(CultureInfo.InvariantCulture), b.PendingChanges.ToString(CultureInfo.InvariantCulture),
                b.SourceRows?.ToString(CultureInfo.InvariantCulture) ?? "-", b.TargetRows?.ToString(CultureInfo.InvariantCulture) ?? "-",
                b.PauseMs?.ToString("0.0", CultureInfo.InvariantCulture) ?? "-", Markup.Escape(b.LastError ?? ""));
        }

        console.Write(table);
        foreach (var w in status.Writers)
        {
            context.Output.WriteLine(FormattableString.Invariant($"writer {w.WriterId} on {w.Host}: state version {w.StateVersion}, seen {w.SecondsSinceHeartbeat:0.0} s ago, p99 {(w.LatencyP99Milliseconds is { } p99 ? p99.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "-")}"));
        }

        return ExitCodes.Ok;
    }

    private static async Task<int> ResumeAsync(Migrator migrator, IAnsiConsole console, StepContext context, CancellationToken cancellationToken)
    {
        var status = await migrator.StatusAsync(cancellationToken);
        if (status.InterruptedCommand is not { } recorded)
        {
            context.Output.WriteLine($"nothing to resume: phase {status.Phase}, no command was interrupted.");
            return ExitCodes.Ok;
        }

        var args = new List<string> { "migrate" };
        args.AddRange(JsonSerializer.Deserialize<string[]>(recorded) ?? []);
        args.AddRange(context.Connection());
        context.Error.WriteLine($"resuming `migrate {string.Join(' ', args.Skip(1).Where(a => !context.Connection().Contains(a)))}`");
        return await ShardKitCli.InvokeAsync(ShardKitCli.CreateRootCommand(), args, context.ParseResult.InvocationConfiguration, cancellationToken);
    }

    private static string Describe(MigrationProgress p) => FormattableString.Invariant(
        $"{p.Phase}: {p.Done}/{p.Total} rows, {p.RowsPerSecond:0} rows/s, ETA {(p.Eta is { } eta ? eta.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "-")}, lag {p.Lag.TotalSeconds:0.0} s, throttled {p.Throttled.TotalSeconds:0.0} s{(p.WaitingFor is { } reason ? "; " + reason : "")}");
}

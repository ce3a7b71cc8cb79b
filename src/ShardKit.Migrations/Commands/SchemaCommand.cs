using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Spectre.Console;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// <c>shardkit schema apply --config F [--sql file] [--dimension user|merchant|all] [--parallel N] [--allow-blocking]
/// [--max-replica-lag S]</c> and <c>shardkit schema status --config F</c>.
/// </summary>
public static class SchemaCommand
{
    /// <summary>Creates the <c>schema</c> command and its <c>apply</c> and <c>status</c> subcommands.</summary>
    public static Command Create()
    {
        var config = TopologyCommand.CreateConfigOption();
        var sql = new Option<FileInfo?>("--sql")
        {
            Description = "A DDL file to apply instead of the built-in order schema; placeholders {schema}, {orders}, {order_items} and the declared tables.",
        };
        var dimension = new Option<string>("--dimension")
        {
            Description = "Which shards: user, merchant or all.",
            DefaultValueFactory = _ => "all",
        };
        dimension.AcceptOnlyFromAmong("user", "merchant", "all");
        var parallel = new Option<int>("--parallel")
        {
            Description = "How many shards each wave after the canary works on at once (1-64).",
            DefaultValueFactory = _ => 4,
        };
        Cli.RequireRange(parallel, 1, 64);
        var allowBlocking = new Option<bool>("--allow-blocking")
        {
            Description = "Run a table change the server can do neither INSTANT nor INPLACE with LOCK=NONE (it would copy the table or block writes) anyway.",
        };
        var maxLag = new Option<int>("--max-replica-lag")
        {
            Description = "Wait before each wave while a replica lags more than this many seconds (0: do not check).",
            DefaultValueFactory = _ => 5,
        };
        Cli.RequireRange(maxLag, 0, 86_400);

        var apply = new Command("apply", "Apply the order schema (or a DDL file) to every shard online: a canary shard, then waves; stops at the first failure; a re-run skips the shards done.")
        {
            config, sql, dimension, parallel, allowBlocking, maxLag,
        };
        Cli.SetAction(apply, (parseResult, cancellationToken) => ApplyAsync(
            parseResult,
            parseResult.GetRequiredValue(config),
            parseResult.GetValue(sql),
            parseResult.GetValue(dimension) ?? "all",
            parseResult.GetValue(parallel),
            parseResult.GetValue(allowBlocking),
            parseResult.GetValue(maxLag),
            cancellationToken));

        var statusConfig = TopologyCommand.CreateConfigOption();
        var status = new Command("status", "Show schema drift: shards whose tables differ from the table model or from each other, and scripts that reached only some shards.")
        {
            statusConfig,
        };
        Cli.SetAction(status, (parseResult, cancellationToken) => StatusAsync(parseResult, parseResult.GetRequiredValue(statusConfig), cancellationToken));

        return new Command("schema", "Create and change the schema of every shard.") { apply, status };
    }

    private static async Task<int> ApplyAsync(
        ParseResult parseResult, string configPath, FileInfo? sqlFile, string dimension, int parallelism, bool allowBlocking, int maxLagSeconds, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        var options = TopologyCommand.LoadValid(configPath);
        string? script = null;
        if (sqlFile is not null)
        {
            if (!sqlFile.Exists)
            {
                throw CliException.Usage($"the SQL file '{sqlFile.FullName}' does not exist.");
            }

            script = await File.ReadAllTextAsync(sqlFile.FullName, cancellationToken);
        }

        var lastWait = "";
        var applyOptions = new SchemaApplyOptions
        {
            Script = script,
            Parallelism = parallelism,
            AllowBlocking = allowBlocking,
            MaxReplicaLag = maxLagSeconds == 0 ? null : TimeSpan.FromSeconds(maxLagSeconds),
            Dimensions = dimension switch
            {
                "user" => [ShardDimension.User],
                "merchant" => [ShardDimension.Merchant],
                _ => [ShardDimension.User, ShardDimension.Merchant],
            },
            OnReplicaLagWait = message =>
            {
                // Once per change of what is lagging, not once a second.
                if (message != lastWait)
                {
                    lastWait = message;
                    output.WriteLine($"waiting: {message}");
                }
            },
        };

        await using var dataSource = new ShardKitDataSourceBuilder(options).Build();
        var total = applyOptions.Dimensions.Sum(d => dataSource.Map.GetShardCount(d));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        SchemaApplyResult? result = null;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"schema apply ({total} shards)", maxValue: total);
                var progress = new SynchronousProgress(r => task.Increment(1));
                result = await new SchemaApplier(dataSource).ApplyAsync(applyOptions, progress, cancellationToken);
            });

        WriteReport(output, error, result!);
        return result!.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static void WriteReport(TextWriter output, TextWriter error, SchemaApplyResult result)
    {
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"script {result.Checksum[..12]}: {result.Applied} applied, {result.Skipped} already done, {result.Failed} failed, {result.NotStarted} not started in {result.Elapsed.TotalSeconds:0.0} s"));
        foreach (var algorithm in result.Algorithms)
        {
            output.WriteLine("  " + algorithm);
        }

        foreach (var group in result.Shards.GroupBy(s => s.Status).OrderBy(g => g.Key))
        {
            var times = group.Where(s => s.Status is SchemaShardStatus.Applied or SchemaShardStatus.Failed).Select(s => s.Elapsed.TotalSeconds).Order().ToList();
            var timing = times.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"  (per shard: min {times[0]:0.000} s, median {times[times.Count / 2]:0.000} s, max {times[^1]:0.000} s)");
            output.WriteLine($"  {Label(group.Key),-12} {group.Count(),4}  {Ranges(group.Select(s => s.Route))}{timing}");
        }

        var timed = result.Shards.Where(s => s.Status is SchemaShardStatus.Applied or SchemaShardStatus.Failed).ToList();
        if (timed.Count > 0)
        {
            output.WriteLine("  time per shard:");
            foreach (var line in timed.Chunk(8))
            {
                output.WriteLine("    " + string.Join("  ", line.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Route.Name} {s.Elapsed.TotalSeconds:0.000}s"))));
            }
        }

        foreach (var failure in result.Shards.Where(s => s.Status == SchemaShardStatus.Failed))
        {
            error.WriteLine($"failed: {failure.Route.Name} on {failure.Route.Cluster.Name} ({failure.Route.Endpoint.Address}): {failure.Error}");
        }

        if (result.NotStarted > 0)
        {
            error.WriteLine($"stopped at the first failure: {result.NotStarted} shard(s) not started ({Ranges(result.Shards.Where(s => s.Status == SchemaShardStatus.NotStarted).Select(s => s.Route))}); fix the cause and run the same command again: the shards done are skipped");
        }
    }

    private static string Label(SchemaShardStatus status) => status switch
    {
        SchemaShardStatus.Applied => "applied",
        SchemaShardStatus.Skipped => "already done",
        SchemaShardStatus.Failed => "failed",
        _ => "not started",
    };

    private static async Task<int> StatusAsync(ParseResult parseResult, string configPath, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        var options = TopologyCommand.LoadValid(configPath);
        await using var dataSource = new ShardKitDataSourceBuilder(options).Build();
        var map = dataSource.Map;
        var check = await new TableModelChecker(dataSource).CheckAsync(cancellationToken);
        var drift = check.Problems.Select(p => p.Message).ToList();

        // The schema logs: which script reached which shards of each dimension.
        var reached = new Dictionary<(string Checksum, ShardDimension Dimension), (List<ShardRoute> Shards, DateTime Last)>();
        var routesByName = map.GetRoutes(ShardDimension.User).Concat(map.GetRoutes(ShardDimension.Merchant)).ToDictionary(r => r.Name, StringComparer.Ordinal);
        var reachable = new List<ShardRoute>();
        foreach (var cluster in map.Clusters)
        {
            List<(string Dimension, int Shard, string Checksum, DateTime AppliedAt)> rows;
            try
            {
                var connection = await dataSource.OpenClusterAsync(cluster, cancellationToken);
                await using (connection)
                {
                    await SchemaLog.EnsureAsync(connection, cancellationToken);
                    rows = await SchemaLog.LoadAllAsync(connection, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                // The table check has already named the unreachable cluster.
                continue;
            }

            reachable.AddRange(routesByName.Values.Where(r => r.Cluster == cluster));
            foreach (var row in rows)
            {
                // Only the shards the map places on this cluster count (a moved shard's old rows stay behind).
                if (!routesByName.TryGetValue(row.Dimension + ":" + row.Shard.ToString(CultureInfo.InvariantCulture), out var route) || route.Cluster != cluster)
                {
                    continue;
                }

                var key = (row.Checksum, route.Dimension);
                var entry = reached.GetValueOrDefault(key, ([], DateTime.MinValue));
                entry.Shards.Add(route);
                reached[key] = (entry.Shards, row.AppliedAt > entry.Last ? row.AppliedAt : entry.Last);
            }
        }

        output.WriteLine($"tables {string.Join(", ", map.Tables.Tables.Select(t => t.Name))} ({(map.Tables.IsDeclared ? "declared" : "built-in")}): {check.ShardsChecked} shards read, {check.Problems.Count} problem(s)");
        output.WriteLine("scripts applied (schema log):");
        if (reached.Count == 0)
        {
            output.WriteLine("  none");
        }

        foreach (var ((checksum, dimension), (shards, last)) in reached.OrderBy(e => e.Value.Last))
        {
            var all = reachable.Where(r => r.Dimension == dimension).ToList();
            var name = dimension.ToString().ToLowerInvariant();
            var line = string.Create(CultureInfo.InvariantCulture, $"  {checksum[..12]}  {name,-8} {shards.Count,4} of {all.Count} shards  last {last:yyyy-MM-dd HH:mm:ss} UTC");
            output.WriteLine(line);
            if (shards.Count < all.Count)
            {
                drift.Add($"script {checksum[..12]} reached {shards.Count} of {all.Count} {name} shards; not yet: {Ranges(all.Except(shards))} (run `shardkit schema apply` with the same file to finish it)");
            }
        }

        if (drift.Count == 0)
        {
            output.WriteLine($"OK: no drift on {check.ShardsChecked} shards");
            return ExitCodes.Ok;
        }

        error.WriteLine($"Schema drift ({drift.Count} problem(s)):");
        foreach (var message in drift)
        {
            error.WriteLine("  - " + message);
        }

        return check.UnreachableClusters.Count > 0 && check.Problems.All(p => p.Shard is null && p.Table is null) && drift.Count == check.Problems.Count
            ? ExitCodes.Unreachable
            : ExitCodes.Failed;
    }

    /// <summary>Shards as ranges per dimension, in shard order: <c>user:0-15, user:17, merchant:0-3</c>.</summary>
    internal static string Ranges(IEnumerable<ShardRoute> routes)
    {
        var parts = new List<string>();
        foreach (var dimension in routes.GroupBy(r => r.Dimension).OrderBy(g => g.Key))
        {
            var shards = dimension.Select(r => r.Shard).Distinct().Order().ToList();
            var name = ShardSlot.DimensionName(dimension.Key);
            for (var i = 0; i < shards.Count;)
            {
                var j = i;
                while (j + 1 < shards.Count && shards[j + 1] == shards[j] + 1)
                {
                    j++;
                }

                parts.Add(i == j
                    ? string.Create(CultureInfo.InvariantCulture, $"{name}:{shards[i]}")
                    : string.Create(CultureInfo.InvariantCulture, $"{name}:{shards[i]}-{shards[j]}"));
                i = j + 1;
            }
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
    private sealed class SynchronousProgress(Action<SchemaShardResult> report) : IProgress<SchemaShardResult>
    {
        public void Report(SchemaShardResult value) => report(value);
    }
}

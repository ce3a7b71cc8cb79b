using System.CommandLine;
using Spectre.Console;

namespace ShardKit.Migrations.Commands;

/// <summary><c>shardkit schema apply --config F [--sql file] [--dimension user|merchant|all] [--parallel N]</c>.</summary>
public static class SchemaCommand
{
    /// <summary>Creates the <c>schema</c> command and its <c>apply</c> subcommand.</summary>
    public static Command Create()
    {
        var config = TopologyCommand.CreateConfigOption();
        var sql = new Option<FileInfo?>("--sql")
        {
            Description = "A DDL file to apply instead of the built-in order schema; placeholders {schema}, {orders}, {order_items}.",
        };
        var dimension = new Option<string>("--dimension")
        {
            Description = "Which shards: user, merchant or all.",
            DefaultValueFactory = _ => "all",
        };
        dimension.AcceptOnlyFromAmong("user", "merchant", "all");
        var parallel = new Option<int>("--parallel")
        {
            Description = "How many shards to work on at once (1-64).",
            DefaultValueFactory = _ => 4,
        };
        Cli.RequireRange(parallel, 1, 64);

        var apply = new Command("apply", "Apply the order schema (or a DDL file) to every shard, resumably: shards already done are skipped.")
        {
            config, sql, dimension, parallel,
        };
        Cli.SetAction(apply, (parseResult, cancellationToken) => ApplyAsync(
            parseResult,
            parseResult.GetRequiredValue(config),
            parseResult.GetValue(sql),
            parseResult.GetValue(dimension) ?? "all",
            parseResult.GetValue(parallel),
            cancellationToken));

        return new Command("schema", "Create and change the schema of every shard.") { apply };
    }

    private static async Task<int> ApplyAsync(ParseResult parseResult, string configPath, FileInfo? sqlFile, string dimension, int parallelism, CancellationToken cancellationToken)
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

        var applyOptions = new SchemaApplyOptions
        {
            Script = script,
            Parallelism = parallelism,
            Dimensions = dimension switch
            {
                "user" => [ShardDimension.User],
                "merchant" => [ShardDimension.Merchant],
                _ => [ShardDimension.User, ShardDimension.Merchant],
            },
        };

        await using (var dataSource = new ShardKitDataSourceBuilder(options).Build())
        {
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

            output.WriteLine($"script {result!.Checksum[..12]}: {result.Applied} applied, {result.Skipped} already done, {result.Failed} failed");
            foreach (var failure in result.Shards.Where(s => s.Status == SchemaShardStatus.Failed))
            {
                error.WriteLine($"failed: {failure.Route.Name} on {failure.Route.Cluster.Name} ({failure.Route.Endpoint.Address}): {failure.Error}");
            }

            return result.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
        }
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and reorder).</summary>
    private sealed class SynchronousProgress(Action<SchemaShardResult> report) : IProgress<SchemaShardResult>
    {
        public void Report(SchemaShardResult value) => report(value);
    }
}

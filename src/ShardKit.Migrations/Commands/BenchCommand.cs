using System.CommandLine;
using System.Globalization;
using ShardKit.Migrations.Workload;
using Spectre.Console;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// <c>shardkit bench --config F [--duration S] [--concurrency N] [--read-ratio R] [--worker-id W] [--json]</c>: the order
/// workload run in process through ShardKitDataSource (no HTTP) against any topology.
/// </summary>
internal static class BenchCommand
{
    /// <summary>The worker ID the bench's order IDs carry unless <c>--worker-id</c> names another.</summary>
    public const int DefaultWorkerId = 254;

    public static Command Create()
    {
        var config = TopologyCommand.CreateConfigOption();
        var duration = new Option<int>("--duration")
        {
            Description = "Seconds to run (1 to 3600).",
            DefaultValueFactory = _ => 10,
        };
        Cli.RequireRange(duration, 1, 3600);
        var concurrency = new Option<int>("--concurrency")
        {
            Description = "Operations in flight at once (1 to 1024).",
            DefaultValueFactory = _ => 16,
        };
        Cli.RequireRange(concurrency, 1, 1024);
        var readRatio = new Option<double>("--read-ratio")
        {
            Description = "Share of reads, 0 to 1 (a third each get-by-ID, list-by-user and list-by-merchant); the rest create orders.",
            DefaultValueFactory = _ => 0.5,
        };
        RequireRatio(readRatio);
        var workerId = new Option<int>("--worker-id")
        {
            Description = "Worker ID of the order IDs the bench creates (0 to 254); no live service instance may hold it.",
            DefaultValueFactory = _ => DefaultWorkerId,
        };
        Cli.RequireRange(workerId, 0, OrderIdLayout.MaxLeasedWorkerId);
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };

        var command = new Command("bench", "Run the order workload (create, get by order ID, list by user) through ShardKitDataSource against a topology and report throughput, latency percentiles and the spread over shards. The schema must exist (shardkit schema apply).")
        {
            config, duration, concurrency, readRatio, workerId, json,
        };
        Cli.SetAction(command, (parseResult, cancellationToken) => RunAsync(
            parseResult,
            parseResult.GetRequiredValue(config),
            new WorkloadOptions
            {
                Duration = TimeSpan.FromSeconds(parseResult.GetValue(duration)),
                Concurrency = parseResult.GetValue(concurrency),
                ReadRatio = parseResult.GetValue(readRatio),
            },
            parseResult.GetValue(workerId),
            parseResult.GetValue(json),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parseResult, string configPath, WorkloadOptions workload, int workerId, bool json, CancellationToken cancellationToken)
    {
        var options = TopologyCommand.LoadValid(configPath);
        await using var dataSource = new ShardKitDataSourceBuilder(options).Build();
        using var keys = new AlternateKeyStore(dataSource);
        using var orders = new TwoDimensionOrderStore(dataSource, alternateKeys: keys);
        var shardCount = dataSource.Map.GetShardCount(ShardDimension.User);
        var ids = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = workerId, ShardCount = shardCount });
        var target = new StoreOrderTarget(orders, ids, $"{configPath} through ShardKitDataSource ({dataSource.Map})");
        var runner = new WorkloadRunner(target, workload, dataSource.Map);
        WorkloadReport report;
        try
        {
            if (json)
            {
                report = await runner.RunAsync(cancellationToken);
            }
            else
            {
                var console = Cli.Console(parseResult);
                report = await console.Status().StartAsync(
                    string.Create(CultureInfo.InvariantCulture, $"Running the order workload for {workload.Duration.TotalSeconds} s..."),
                    _ => runner.RunAsync(cancellationToken));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Interrupted, "interrupted; no report.");
        }

        if (json)
        {
            WorkloadReportWriter.WriteJson(parseResult.InvocationConfiguration.Output, report);
        }
        else
        {
            WorkloadReportWriter.WriteText(Cli.Console(parseResult), report);
        }

        if (report.Errors > 0)
        {
            Cli.Error(parseResult, string.Create(CultureInfo.InvariantCulture, $"{report.Errors} of {report.Operations + report.Errors} operations failed; the first: {report.ErrorSamples[0].Message}"));
            return ExitCodes.Failed;
        }

        return ExitCodes.Ok;
    }

    /// <summary>Makes a ratio option a usage error outside 0..1 (a value that is not a number is reported by the parser).</summary>
    private static void RequireRatio(Option<double> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0
                || !double.TryParse(result.Tokens[^1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return;
            }

            if (!(value is >= 0 and <= 1))
            {
                result.AddError($"{option.Name} must be between 0 and 1; got {result.Tokens[^1].Value}.");
            }
        });
    }
}

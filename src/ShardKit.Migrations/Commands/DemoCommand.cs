using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Dapper;
using ShardKit.Migrations.Workload;
using ShardKit.Testing;
using Spectre.Console;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// <c>shardkit demo [--duration S] [--concurrency N] [--json]</c>: with no configuration, starts a local topology,
/// applies the order schema, starts the OrderService sample (a separate <c>dotnet OrderService.dll</c> process: the tool
/// itself never loads ASP.NET Core) on a free loopback port, drives the order workload
/// against it over HTTP (creates, reads by ID, user lists and merchant lists), checks every user shard holds exactly
/// the orders created there, measures the dimension lag left and compares the merchant copy with the user side, prints
/// the report and stops everything.
/// </summary>
internal static class DemoCommand
{
    private const int Clusters = 2;
    private const int Replicas = 1;
    private const double ReadRatio = 0.5;
    private const int ServiceWorkerId = 1;

    public static Command Create()
    {
        var duration = new Option<int>("--duration")
        {
            Description = "Seconds the workload runs (1 to 600).",
            DefaultValueFactory = _ => 10,
        };
        Cli.RequireRange(duration, 1, 600);
        var concurrency = new Option<int>("--concurrency")
        {
            Description = "Requests in flight at once (1 to 256).",
            DefaultValueFactory = _ => 8,
        };
        Cli.RequireRange(concurrency, 1, 256);
        var legacyOrders = new Option<int>("--legacy-orders")
        {
            Description = "Orders of history in the legacy database that the live migration moves onto the shards (100 to 100000).",
            DefaultValueFactory = _ => 2000,
        };
        Cli.RequireRange(legacyOrders, 100, 100_000);
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object (and nothing else on standard output)." };
        var service = new Option<FileInfo?>("--service")
        {
            Description = "The built OrderService sample (OrderService.dll; it needs the ASP.NET Core runtime). Default: the build under samples/OrderService/bin of the repository around the current directory (`./build.sh demo` builds it).",
        };

        var command = new Command("demo", $"Start a local topology ({Clusters} clusters × primary + replica, and a legacy monolith), migrate the monolith's orders onto the shards live under application writes, then host the OrderService sample and run an order workload against it over HTTP (including merchant listings from the merchant copy); prints the migration report, throughput, latency percentiles, the spread over the user shards, the dimension lag and a dimensions check, then stops everything.")
        {
            duration, concurrency, legacyOrders, json, service,
        };
        Cli.SetAction(command, (parseResult, cancellationToken) => RunAsync(
            parseResult,
            OrderServiceProcess.Find(parseResult.GetValue(service)),
            new WorkloadOptions
            {
                Duration = TimeSpan.FromSeconds(parseResult.GetValue(duration)),
                Concurrency = parseResult.GetValue(concurrency),
                ReadRatio = ReadRatio,
            },
            parseResult.GetValue(legacyOrders),
            parseResult.GetValue(json),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parseResult, string serviceAssembly, WorkloadOptions workload, int legacyOrders, bool json, CancellationToken invocationToken)
    {
        // Ctrl+C and SIGTERM stop the run, and the process waits until the service and every server are stopped.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(invocationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        var cancellationToken = stop.Token;

        // With --json, progress goes nowhere and standard output carries only the report.
        var console = json
            ? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null) })
            : Cli.Console(parseResult);
        MariaDbTopology? topology = null;
        ShardKitDataSource? shards = null;
        ShardKitDataSource? sampleShards = null;
        OrderServiceProcess? app = null;
        try
        {
            var clock = Stopwatch.StartNew();
            topology = await console.Status().StartAsync(
                $"Starting a local topology: {Clusters} clusters × (primary + {Replicas} replica) and a legacy monolith...",
                _ => MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = Clusters, Replicas = Replicas, Legacy = true }, cancellationToken));
            console.MarkupLine(Invariant($"[green]Topology[/] ready in {clock.Elapsed.TotalSeconds:0.0} s ({Clusters} clusters of one primary and {Replicas} GTID replica, and the legacy monolith):"));
            foreach (var cluster in topology.Clusters)
            {
                var replicas = string.Join(", ", cluster.Replicas.Select(r => "127.0.0.1:" + r.Port.ToString(CultureInfo.InvariantCulture)));
                console.MarkupLine(Invariant($"  {cluster.Name}: primary 127.0.0.1:{cluster.Primary.Port}, replica {replicas}"));
            }

            console.MarkupLine(Invariant($"  legacy: 127.0.0.1:{topology.Legacy!.Port}"));

            // Part 1: the legacy monolith's history moves onto the shards while application writers keep writing.
            console.MarkupLine(Invariant($"[bold]Live migration[/]: {legacyOrders} legacy orders onto 120 user + 120 merchant shards, bucket by bucket, under application writes"));
            var progress = json ? TextWriter.Null : parseResult.InvocationConfiguration.Output;
            var migration = await MigrationDemo.RunAsync(topology, new MigrationDemoOptions { LegacyOrders = legacyOrders }, progress, cancellationToken);
            migration.Write(progress);
            if (!migration.Succeeded)
            {
                Cli.Error(parseResult, "the live migration did not end equal on both sides (see the report above).");
                return ExitCodes.Failed;
            }

            // Part 2: the service runs on the migrated shards, in its own process, on the topology file (it holds passwords: 0600).
            var configPath = Path.Combine(topology.Directory, "demo-topology.json");
            await SecretFile.WriteAllTextAsync(configPath, topology.ToConfigurationJson() + "\n", cancellationToken);
            shards = new ShardKitDataSourceBuilder(TopologyCommand.LoadValid(configPath)).Build();

            clock.Restart();
            var schema = await console.Status().StartAsync(
                "Applying the order schema to the 240 shards...",
                _ => new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Parallelism = 8 }, progress: null, cancellationToken));
            if (!schema.Succeeded)
            {
                var failure = schema.Shards.First(s => s.Status == SchemaShardStatus.Failed);
                Cli.Error(parseResult, $"the schema could not be applied to {schema.Failed} shards; {failure.Route.Name}: {failure.Error}");
                return ExitCodes.Failed;
            }

            console.MarkupLine(Invariant($"[green]Schema[/] applied to {schema.Shards.Count} shards ({shards.Map.GetShardCount(ShardDimension.User)} user + {shards.Map.GetShardCount(ShardDimension.Merchant)} merchant) in {clock.Elapsed.TotalSeconds:0.0} s"));

            // The sample declares its own tables (its appsettings.json, its sql/*.sql): they are created like a team's
            // (schema apply --sql per dimension), and the service's part is counted and compared on them.
            sampleShards = shards;
            if (SampleTables.Find(serviceAssembly) is { } sample)
            {
                clock.Restart();
                var samplePath = Path.Combine(topology.Directory, "demo-sample-topology.json");
                await SecretFile.WriteAllTextAsync(samplePath, sample.WithDeclaration(topology.ToConfigurationJson()) + "\n", cancellationToken);
                sampleShards = new ShardKitDataSourceBuilder(TopologyCommand.LoadValid(samplePath)).Build();
                foreach (var (dimension, ddl) in new[] { (ShardDimension.User, sample.UserDdl), (ShardDimension.Merchant, sample.MerchantDdl) })
                {
                    var applied = await console.Status().StartAsync(
                        Invariant($"Applying the sample's {dimension.ToString().ToLowerInvariant()} tables..."),
                        _ => new SchemaApplier(sampleShards).ApplyAsync(new SchemaApplyOptions { Script = ddl, Dimensions = [dimension], Parallelism = 8 }, progress: null, cancellationToken));
                    if (!applied.Succeeded)
                    {
                        var failure = applied.Shards.First(s => s.Status == SchemaShardStatus.Failed);
                        Cli.Error(parseResult, $"the sample's tables could not be applied to {applied.Failed} shards; {failure.Route.Name}: {failure.Error}");
                        return ExitCodes.Failed;
                    }
                }

                console.MarkupLine(Invariant($"[green]Sample tables[/] {string.Join(", ", sampleShards.Map.Tables.Tables.Select(t => t.Name))} applied in {clock.Elapsed.TotalSeconds:0.0} s"));
            }

            app = await console.Status().StartAsync(
                "Starting the OrderService sample...",
                _ => OrderServiceProcess.StartAsync(serviceAssembly, configPath, ServiceWorkerId, cancellationToken));
            var url = app.Url;
            console.MarkupLine($"[green]OrderService[/] sample listening on {url} ([grey]{Markup.Escape(serviceAssembly)}[/])");

            var before = await CountPerShardAsync(sampleShards, cancellationToken);
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
            var runner = new WorkloadRunner(new HttpOrderTarget(http, shards.Map.GetShardCount(ShardDimension.User)), workload, shards.Map);
            var report = await console.Status().StartAsync(
                Invariant($"Running the order workload for {workload.Duration.TotalSeconds} s at concurrency {workload.Concurrency}..."),
                _ => runner.RunAsync(cancellationToken));

            var mismatches = await VerifyAsync(sampleShards, before, report.Distribution, cancellationToken);
            report = report with { Dimensions = await CheckDimensionsAsync(shards, sampleShards, app, cancellationToken), Migration = migration };
            if (json)
            {
                WorkloadReportWriter.WriteJson(parseResult.InvocationConfiguration.Output, report);
            }
            else
            {
                WorkloadReportWriter.WriteText(console, report);
            }

            if (mismatches.Count > 0)
            {
                Cli.Error(parseResult, "the shards do not hold the orders the workload created: " + string.Join("; ", mismatches));
                return ExitCodes.Failed;
            }

            console.MarkupLine(Invariant($"[green]Verified[/] on the servers: each user shard gained exactly the orders created on it."));
            if (!report.Dimensions.Equal)
            {
                Cli.Error(parseResult, Invariant($"the merchant copy differs from the user side: {report.Dimensions.Differences} orders differ ({report.Dimensions.UserOrders} user-side orders, {report.Dimensions.MerchantOrders} in the merchant copy)."));
                return ExitCodes.Failed;
            }

            console.MarkupLine("[green]Verified[/] both dimensions: the merchant copy equals the user side.");
            if (report.Errors > 0)
            {
                Cli.Error(parseResult, Invariant($"{report.Errors} operations failed; the first: {report.ErrorSamples[0].Message}"));
                return ExitCodes.Failed;
            }

            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Interrupted, "interrupted; the service and the servers are stopped.");
        }
        finally
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            if (sampleShards is not null && !ReferenceEquals(sampleShards, shards))
            {
                await sampleShards.DisposeAsync();
            }

            if (shards is not null)
            {
                await shards.DisposeAsync();
            }

            if (topology is not null)
            {
                var servers = topology.Servers.Count();
                await topology.DisposeAsync();
                console.MarkupLine(Invariant($"Stopped the service and the {servers} MariaDB servers; nothing left running."));
            }
        }

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    /// <summary>
    /// Measures the lag the workload left (<see cref="TwoDimensionOrderStore.GetLagAsync"/>), stops the service, lets a
    /// relay drain whatever is pending, then compares both dimensions: the built-in tables (the migrated orders) with
    /// <see cref="DimensionVerifier"/>, no repair; and, when the sample declares its own tables
    /// (<paramref name="sampleShards"/>), those with the same verifier on the sample's declaration.
    /// </summary>
    private static async Task<DimensionReport> CheckDimensionsAsync(ShardKitDataSource shards, ShardKitDataSource sampleShards, OrderServiceProcess service, CancellationToken cancellationToken)
    {
        using var keys = new AlternateKeyStore(sampleShards);
        using var orders = new TwoDimensionOrderStore(sampleShards, alternateKeys: keys);
        var lag = await orders.GetLagAsync(cancellationToken);
        await service.DisposeAsync();
        await new OutboxRelay(orders).DrainAsync(cancellationToken);
        var verified = await new DimensionVerifier(shards).VerifyAsync(repair: false, progress: null, cancellationToken);
        var (userOrders, merchantOrders, differences) = (verified.Shards.Sum(s => s.UserCount), verified.Shards.Sum(s => s.MerchantCount), verified.Differences.Count + verified.Shards.Count(s => s.Error is not null));
        if (sampleShards.Map.Tables.IsDeclared)
        {
            // The sample's own tables: the same verifier, on the sample's declaration.
            var sample = await new DimensionVerifier(sampleShards).VerifyAsync(repair: false, progress: null, cancellationToken);
            userOrders += sample.Shards.Sum(s => s.UserCount);
            merchantOrders += sample.Shards.Sum(s => s.MerchantCount);
            differences += sample.Differences.Count + sample.Shards.Count(s => s.Error is not null);
        }

        return new DimensionReport(lag.Max.TotalMilliseconds, lag.Pending, verified.Shards.Count, userOrders, merchantOrders, differences);
    }

    /// <summary>The orders on every user shard (index = logical shard), in the data source's root table.</summary>
    private static async Task<long[]> CountPerShardAsync(ShardKitDataSource shards, CancellationToken cancellationToken)
    {
        var counts = new long[shards.Map.GetShardCount(ShardDimension.User)];
        foreach (var route in shards.Map.GetRoutes(ShardDimension.User))
        {
            await using var shard = await shards.OpenAsync(route, ReadPreference.Primary, cancellationToken: cancellationToken);
            counts[route.Shard] = await shard.Connection.ExecuteScalarAsync<long>(
                new CommandDefinition(shard.Sql("SELECT COUNT(*) FROM " + shards.Map.Tables.Root.Placeholder), cancellationToken: cancellationToken));
        }

        return counts;
    }

    /// <summary>Counts the rows on every user shard again and compares what each gained with what the workload created there.</summary>
    private static async Task<List<string>> VerifyAsync(ShardKitDataSource shards, long[] before, ShardDistribution created, CancellationToken cancellationToken)
    {
        var after = await CountPerShardAsync(shards, cancellationToken);
        var mismatches = new List<string>();
        for (var shard = 0; shard < after.Length; shard++)
        {
            if (after[shard] - before[shard] != created.PerShard[shard])
            {
                mismatches.Add(Invariant($"user shard {shard} gained {after[shard] - before[shard]}, created {created.PerShard[shard]}"));
            }
        }

        return mismatches;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

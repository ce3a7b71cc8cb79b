using System.CommandLine;
using System.Runtime.InteropServices;
using ShardKit.Testing;
using Spectre.Console;

namespace ShardKit.Migrations.Commands;

/// <summary><c>shardkit dev up</c>: a local topology of real MariaDB servers in the foreground.</summary>
internal static class DevCommand
{
    public static Command Create()
    {
        var dev = new Command("dev", "Local development topologies of real MariaDB servers.");
        dev.Subcommands.Add(CreateUp());
        return dev;
    }

    private static Command CreateUp()
    {
        var clusters = new Option<int>("--clusters")
        {
            Description = $"Physical clusters, each one primary plus replicas (1 to {MariaDbTopologyOptions.MaxClusters}).",
            DefaultValueFactory = _ => 2,
        };
        Cli.RequireRange(clusters, 1, MariaDbTopologyOptions.MaxClusters);
        var replicas = new Option<int>("--replicas")
        {
            Description = $"Replicas per cluster with GTID replication (0 to {MariaDbTopologyOptions.MaxReplicas}).",
            DefaultValueFactory = _ => 1,
        };
        Cli.RequireRange(replicas, 0, MariaDbTopologyOptions.MaxReplicas);
        var legacy = new Option<bool>("--legacy") { Description = "Also start a standalone legacy server (the pre-sharding monolith)." };
        var writeConfig = new Option<FileInfo?>("--write-config") { Description = "Write the topology as ShardKit JSON configuration to this file (mode 0600: it holds the password)." };
        var writeMigratorConfig = new Option<FileInfo?>("--write-migrator-config")
        {
            Description = "Also write the configuration with the migrator's account (shardkit_migrator: the grants docs/migration.md lists, no SUPER) for `shardkit migrate` and `shardkit move-shard` to this file (mode 0600).",
        };

        var up = new Command("up", "Start a local topology in the foreground; Ctrl+C or SIGTERM stops it and removes its data.")
        {
            clusters, replicas, legacy, writeConfig, writeMigratorConfig,
        };
        Cli.SetAction(up, async (parseResult, cancellationToken) =>
        {
            // Checked before any server starts: a path that cannot be written fails now, not after the servers are up.
            var configFile = parseResult.GetValue(writeConfig) is { } file ? SecretFile.CheckWritable(file.ToString(), "--write-config") : null;
            var migratorConfigFile = parseResult.GetValue(writeMigratorConfig) is { } migratorFile
                ? SecretFile.CheckWritable(migratorFile.ToString(), "--write-migrator-config")
                : null;
            var options = new MariaDbTopologyOptions
            {
                Clusters = parseResult.GetValue(clusters),
                Replicas = parseResult.GetValue(replicas),
                Legacy = parseResult.GetValue(legacy),
            };
            return await RunUpAsync(parseResult, options, configFile, migratorConfigFile, cancellationToken);
        });
        return up;
    }

    private static async Task<int> RunUpAsync(ParseResult parseResult, MariaDbTopologyOptions options, string? configFile, string? migratorConfigFile, CancellationToken cancellationToken)
    {
        var console = Cli.Console(parseResult);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        MariaDbTopology topology;
        try
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            topology = await console.Status().StartAsync("Starting MariaDB servers...", _ => MariaDbTopology.StartAsync(options, stop.Token));
            console.MarkupLine($"[green]Topology ready[/] in {started.Elapsed.TotalSeconds:0.0} s ([grey]{Markup.Escape(topology.Directory)}[/])");
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw new CliException(ExitCodes.Interrupted, "interrupted while the servers were starting; nothing left running.");
        }

        await using (topology)
        {
            var table = new Table().AddColumns("Cluster", "Server", "Role", "Endpoint", "PID");
            foreach (var cluster in topology.Clusters)
            {
                foreach (var server in cluster.Replicas.Prepend(cluster.Primary))
                {
                    table.AddRow(cluster.Name, server.Name, server.Role.ToString(), $"127.0.0.1:{server.Port}", server.ProcessId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-");
                }
            }

            if (topology.Legacy is { } legacyServer)
            {
                table.AddRow("-", legacyServer.Name, legacyServer.Role.ToString(), $"127.0.0.1:{legacyServer.Port}", legacyServer.ProcessId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-");
            }

            console.Write(table);
            console.MarkupLine($"User [bold]{Markup.Escape(topology.User)}[/] on every server (password in the configuration file; TLS CA: {Markup.Escape(topology.CaCertificatePath ?? "none")}).");
            console.MarkupLine($"Migrator [bold]{Markup.Escape(topology.MigratorUser)}[/] on every server, for `shardkit migrate` and `shardkit move-shard` (the grants of docs/migration.md; no SUPER).");
            if (configFile is not null)
            {
                await SecretFile.WriteAllTextAsync(configFile, topology.ToConfigurationJson() + "\n", CancellationToken.None);
                console.MarkupLine($"Configuration written to [bold]{Markup.Escape(configFile)}[/] (mode 0600).");
            }

            if (migratorConfigFile is not null)
            {
                await SecretFile.WriteAllTextAsync(migratorConfigFile, topology.ToMigratorConfigurationJson() + "\n", CancellationToken.None);
                console.MarkupLine($"Migrator configuration written to [bold]{Markup.Escape(migratorConfigFile)}[/] (mode 0600).");
            }

            console.MarkupLine("Press [bold]Ctrl+C[/] to stop every server and remove its data.");
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }

            console.MarkupLine("Stopping...");
        }

        console.MarkupLine("[green]Stopped[/]; nothing left running.");
        return ExitCodes.Ok;
    }
}

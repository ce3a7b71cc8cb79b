using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace ShardKit.Migrations.Commands;

/// <summary><c>shardkit topology validate --config F</c>, and the topology-file loading the other commands share.</summary>
public static class TopologyCommand
{
    /// <summary>Creates the <c>topology</c> command and its <c>validate</c> subcommand.</summary>
    public static Command Create()
    {
        var config = CreateConfigOption();
        var offline = new Option<bool>("--offline")
        {
            Description = "Check the file only: do not connect to the shards to compare their tables with the table model.",
        };
        var validate = new Command(
            "validate",
            "Check a topology file (every shard mapped once, clusters known, endpoints distinct, tables declared well), then every shard's tables against the table model.")
        {
            config,
            offline,
        };
        Cli.SetAction(validate, async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var options = Load(parseResult.GetRequiredValue(config));
            var errors = ShardMap.Validate(options);
            if (errors.Count > 0)
            {
                WriteErrors(error, "Topology is invalid", errors);
                return ExitCodes.Failed;
            }

            var map = ShardMap.Create(options);
            WriteSummary(output, map);
            if (parseResult.GetValue(offline))
            {
                return ExitCodes.Ok;
            }

            await using var dataSource = new ShardKitDataSourceBuilder(options).Build();
            var result = await new TableModelChecker(dataSource).CheckAsync(cancellationToken);
            var tables = string.Join(", ", map.Tables.Tables.Select(t => t.Name + (t.MerchantCopy == MerchantCopy.None ? " (user shards only)" : "")));
            if (result.IsValid)
            {
                output.WriteLine($"OK: tables {tables} ({(map.Tables.IsDeclared ? "declared" : "built-in")}) match all {result.ShardsChecked} shards");
                return ExitCodes.Ok;
            }

            var problems = result.Problems.Select(p => p.Message).ToList();
            if (!map.Tables.IsDeclared && result.Problems.Any(p => p.Message.EndsWith("does not exist", StringComparison.Ordinal)))
            {
                problems.Add("the built-in order tables are created by `shardkit schema apply --config FILE`");
            }

            WriteErrors(error, $"Tables {tables} do not match the shards", problems);
            return result.UnreachableClusters.Count > 0 && result.Problems.All(p => p.Shard is null && p.Table is null)
                ? ExitCodes.Unreachable
                : ExitCodes.Failed;
        });

        return new Command("topology", "Inspect and check shard topologies.") { validate };
    }

    /// <summary>The <c>--config</c> option every topology-reading command takes.</summary>
    internal static Option<string> CreateConfigOption() => new("--config", "-c")
    {
        Description = "The topology file (JSON with a ShardKit section, as written by `shardkit dev up`).",
        Required = true,
    };

    /// <summary>Loads a topology file and checks the map.</summary>
    /// <exception cref="CliException">A usage error: the file is missing, unreadable or has no ShardKit section, or the map is invalid (every error listed).</exception>
    internal static ShardKitOptions LoadValid(string path)
    {
        var options = Load(path);
        var errors = ShardMap.Validate(options);
        if (errors.Count > 0)
        {
            throw CliException.Usage("the topology is invalid: " + string.Join("; ", errors), errors);
        }

        return options;
    }

    /// <summary>Reads the <c>ShardKit</c> section of a JSON file (the map is not checked).</summary>
    /// <exception cref="CliException">A usage error: the file is missing, unreadable or has no ShardKit section.</exception>
    internal static ShardKitOptions Load(string path)
    {
        var options = new ShardKitOptions();
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw CliException.Usage($"the config file '{path}' does not exist.");
        }

        try
        {
            var section = new ConfigurationBuilder().AddJsonFile(fullPath, optional: false, reloadOnChange: false).Build()
                .GetSection(ShardKitOptions.SectionName);
            if (!section.Exists())
            {
                throw CliException.Usage($"the config file '{path}' has no \"{ShardKitOptions.SectionName}\" section.");
            }

            section.Bind(options);
            return options;
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"the config file '{path}' cannot be read: {OneLine(ex)}");
        }
    }

    private static void WriteErrors(TextWriter error, string heading, IReadOnlyList<string> errors)
    {
        error.WriteLine($"{heading} ({errors.Count} error{(errors.Count == 1 ? "" : "s")}):");
        foreach (var message in errors)
        {
            error.WriteLine("  - " + message);
        }
    }

    /// <summary>The message of <paramref name="exception"/> and its inner exceptions on one line.</summary>
    internal static string OneLine(Exception exception) => CliErrors.OneLine(exception);

    private static void WriteSummary(TextWriter output, ShardMap map)
    {
        var users = map.GetShardCount(ShardDimension.User);
        var merchants = map.GetShardCount(ShardDimension.Merchant);
        output.WriteLine($"OK: map v{map.Version}, {map.Clusters.Count} cluster{(map.Clusters.Count == 1 ? "" : "s")}, {users} user shards, {merchants} merchant shards");
        foreach (var cluster in map.Clusters)
        {
            var user = ShardsOn(map, ShardDimension.User, cluster);
            var merchant = ShardsOn(map, ShardDimension.Merchant, cluster);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {cluster.Name}: primary {cluster.Primary.Address}, {cluster.Replicas.Count} replica(s); user shards {Ranges(user)} ({user.Count}); merchant shards {Ranges(merchant)} ({merchant.Count})"));
        }

        if (map.Legacy is not null)
        {
            output.WriteLine($"  legacy: {map.Legacy.Address}");
        }
    }

    private static List<int> ShardsOn(ShardMap map, ShardDimension dimension, ShardCluster cluster) =>
        map.GetRoutes(dimension).Where(r => ReferenceEquals(r.Cluster, cluster)).Select(r => r.Shard).ToList();

    /// <summary>Formats sorted shard indexes as ranges: <c>0-59,70</c>, or <c>none</c>.</summary>
    internal static string Ranges(IReadOnlyList<int> shards)
    {
        if (shards.Count == 0)
        {
            return "none";
        }

        var parts = new List<string>();
        var first = shards[0];
        for (var i = 1; i <= shards.Count; i++)
        {
            if (i < shards.Count && shards[i] == shards[i - 1] + 1)
            {
                continue;
            }

            var last = shards[i - 1];
            parts.Add(first == last ? first.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{first}-{last}"));
            if (i < shards.Count)
            {
                first = shards[i];
            }
        }

        return string.Join(",", parts);
    }
}

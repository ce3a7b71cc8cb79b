using System.CommandLine;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace ShardKit.Migrations.Commands;

/// <summary><c>shardkit topology validate --config F</c>, and the topology-file loading the other commands share.</summary>
public static class TopologyCommand
{
    /// <summary>Exit code of a command that did what it was asked.</summary>
    internal const int ExitOk = 0;

    /// <summary>Exit code when the work failed: invalid topology, unreadable file, failed shards.</summary>
    internal const int ExitFailed = 1;

    /// <summary>Exit code when the arguments are wrong (missing or conflicting keys, non-positive IDs).</summary>
    internal const int ExitUsage = 2;

    /// <summary>Creates the <c>topology</c> command and its <c>validate</c> subcommand.</summary>
    public static Command Create()
    {
        var config = CreateConfigOption();
        var validate = new Command("validate", "Check a topology file: every shard mapped once, clusters known, endpoints distinct.")
        {
            config,
        };
        validate.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            if (!TryLoad(parseResult.GetRequiredValue(config), error, out var options))
            {
                return ExitFailed;
            }

            var errors = ShardMap.Validate(options);
            if (errors.Count > 0)
            {
                error.WriteLine($"Topology is invalid ({errors.Count} error{(errors.Count == 1 ? "" : "s")}):");
                foreach (var message in errors)
                {
                    error.WriteLine("  - " + message);
                }

                return ExitFailed;
            }

            WriteSummary(output, ShardMap.Create(options));
            return ExitOk;
        });

        return new Command("topology", "Inspect and check shard topologies.") { validate };
    }

    /// <summary>The <c>--config</c> option every topology-reading command takes.</summary>
    internal static Option<string> CreateConfigOption() => new("--config", "-c")
    {
        Description = "The topology file (JSON with a ShardKit section, as written by `shardkit dev up`).",
        Required = true,
    };

    /// <summary>Reads the <c>ShardKit</c> section of a JSON file; on failure writes one line to <paramref name="error"/>.</summary>
    /// <summary>Loads a topology file and checks the map; on failure prints one line and returns false.</summary>
    internal static bool TryLoadValid(string path, TextWriter error, out ShardKitOptions options)
    {
        if (!TryLoad(path, error, out options))
        {
            return false;
        }

        var errors = ShardMap.Validate(options);
        if (errors.Count > 0)
        {
            error.WriteLine("error: the topology is invalid: " + string.Join("; ", errors));
            return false;
        }

        return true;
    }

    internal static bool TryLoad(string path, TextWriter error, out ShardKitOptions options)
    {
        options = new ShardKitOptions();
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            error.WriteLine($"error: the config file '{path}' does not exist.");
            return false;
        }

        try
        {
            var section = new ConfigurationBuilder().AddJsonFile(fullPath, optional: false, reloadOnChange: false).Build()
                .GetSection(ShardKitOptions.SectionName);
            if (!section.Exists())
            {
                error.WriteLine($"error: the config file '{path}' has no \"{ShardKitOptions.SectionName}\" section.");
                return false;
            }

            section.Bind(options);
            return true;
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException or IOException)
        {
            error.WriteLine($"error: the config file '{path}' cannot be read: {OneLine(ex)}");
            return false;
        }
    }

    /// <summary>The message of <paramref name="exception"/> and its inner exceptions on one line.</summary>
    internal static string OneLine(Exception exception)
    {
        var text = new StringBuilder(exception.Message);
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            text.Append(' ').Append(inner.Message);
        }

        return text.Replace('\r', ' ').Replace('\n', ' ').ToString();
    }

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

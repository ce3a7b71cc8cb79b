using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ShardKit.Migrations.Commands;

/// <summary><c>shardkit verify dimensions|mappings --config F [--repair] [--json]</c>.</summary>
public static class VerifyCommand
{
    private const int MaxListed = 50;
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Creates the <c>verify</c> command and its <c>dimensions</c> and <c>mappings</c> subcommands.</summary>
    public static Command Create()
    {
        var config = TopologyCommand.CreateConfigOption();
        var repair = new Option<bool>("--repair") { Description = "Re-apply every differing order from its user shard, then check it again." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var dimensions = new Command(
            "dimensions",
            "Compare every merchant shard with the user-side orders it copies (counts and checksums, then the orders that differ). Exit 0 when equal, 1 when differences remain.")
        {
            config, repair, json,
        };
        Cli.SetAction(dimensions, (parseResult, cancellationToken) => DimensionsAsync(
            parseResult, parseResult.GetRequiredValue(config), parseResult.GetValue(repair), parseResult.GetValue(json), cancellationToken));

        var mappingsConfig = TopologyCommand.CreateConfigOption();
        var mappingsRepair = new Option<bool>("--repair") { Description = "Remove dangling mappings and re-create the missing ones." };
        var mappingsJson = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var mappings = new Command(
            "mappings",
            "Check the alternate-key mappings: mappings whose order is gone (dangling) and keys orders were created with that have no mapping (missing) or another one (conflicting). Exit 0 when consistent, 1 when problems remain.")
        {
            mappingsConfig, mappingsRepair, mappingsJson,
        };
        Cli.SetAction(mappings, (parseResult, cancellationToken) => MappingsAsync(
            parseResult, parseResult.GetRequiredValue(mappingsConfig), parseResult.GetValue(mappingsRepair), parseResult.GetValue(mappingsJson), cancellationToken));

        return new Command("verify", "Check that copies of the data agree.") { dimensions, mappings };
    }

    private static async Task<int> MappingsAsync(ParseResult parseResult, string configPath, bool repair, bool json, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        var options = TopologyCommand.LoadValid(configPath);
        await using (var dataSource = new ShardKitDataSourceBuilder(options).Build())
        {
            using var store = new AlternateKeyStore(dataSource);
            var result = await store.VerifyAsync(repair, cancellationToken);
            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        consistent = result.Consistent,
                        mappingsChecked = result.MappingsChecked,
                        declaredKeysChecked = result.DeclaredKeysChecked,
                        remaining = result.Remaining,
                        repaired = result.Problems.Count(p => p.Repaired),
                        problems = result.Problems.Select(p => new
                        {
                            kind = p.Key.Kind,
                            value = p.Key.Value,
                            problem = p.Kind.ToString(),
                            mappedUserId = p.Mapped?.UserId,
                            mappedOrderId = p.Mapped?.OrderId?.Value,
                            declaredUserId = p.Declared?.UserId,
                            declaredOrderId = p.Declared?.OrderId?.Value,
                            repaired = p.Repaired,
                        }),
                        unavailableShards = result.UnavailableShards,
                    },
                    s_json));
            }
            else
            {
                WriteMappingsText(output, error, result, repair);
            }

            return result.Consistent ? ExitCodes.Ok : ExitCodes.Failed;
        }
    }

    private static void WriteMappingsText(TextWriter output, TextWriter error, AlternateKeyVerifyResult result, bool repair)
    {
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{result.MappingsChecked} mapping(s) naming an order checked, {result.DeclaredKeysChecked} declared key(s) checked"));
        foreach (var problem in result.Problems.Take(MaxListed))
        {
            var detail = problem.Kind switch
            {
                AlternateKeyProblemKind.Dangling => $"names {problem.Mapped}, which is gone",
                AlternateKeyProblemKind.Missing => $"declared by {problem.Declared}, no mapping",
                _ => $"declared by {problem.Declared}, mapped to {problem.Mapped}",
            };
            output.WriteLine($"  {problem.Key}: {problem.Kind}, {detail}{(problem.Repaired ? ", repaired" : "")}");
        }

        if (result.Problems.Count > MaxListed)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ... and {result.Problems.Count - MaxListed} more (--json lists all)"));
        }

        foreach (var failed in result.UnavailableShards)
        {
            error.WriteLine("failed: " + failed);
        }

        output.WriteLine(repair
            ? FormattableString.Invariant($"{result.Problems.Count} problem(s), {result.Problems.Count(p => p.Repaired)} repaired, {result.Remaining} remaining")
            : FormattableString.Invariant($"{result.Problems.Count} problem(s)"));
    }

    private static async Task<int> DimensionsAsync(ParseResult parseResult, string configPath, bool repair, bool json, CancellationToken cancellationToken)
    {
        var output = parseResult.InvocationConfiguration.Output;
        var error = parseResult.InvocationConfiguration.Error;
        var options = TopologyCommand.LoadValid(configPath);
        await using (var dataSource = new ShardKitDataSourceBuilder(options).Build())
        {
            var result = await new DimensionVerifier(dataSource).VerifyAsync(repair, progress: null, cancellationToken);
            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        equal = result.Equal,
                        remaining = result.Remaining,
                        repaired = result.Differences.Count(d => d.Repaired),
                        shards = result.Shards.Select(s => new
                        {
                            shard = s.Name,
                            userCount = s.UserCount,
                            merchantCount = s.MerchantCount,
                            userChecksum = s.UserChecksum,
                            merchantChecksum = s.MerchantChecksum,
                            matches = s.Matches,
                            error = s.Error,
                        }),
                        differences = result.Differences.Select(d => new
                        {
                            orderId = d.OrderId,
                            shard = "merchant:" + d.MerchantShard.ToString(CultureInfo.InvariantCulture),
                            kind = d.Kind.ToString(),
                            userVersion = d.UserVersion,
                            merchantVersion = d.MerchantVersion,
                            repaired = d.Repaired,
                        }),
                    },
                    s_json));
            }
            else
            {
                WriteText(output, error, result, repair);
            }

            return result.Equal ? ExitCodes.Ok : ExitCodes.Failed;
        }
    }

    private static void WriteText(TextWriter output, TextWriter error, DimensionVerifyResult result, bool repair)
    {
        var users = result.Shards.Sum(s => s.UserCount);
        var merchants = result.Shards.Sum(s => s.MerchantCount);
        var mismatched = result.Shards.Where(s => s.Error is null && !s.Matches).ToList();
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{result.Shards.Count} merchant shards: {users} orders on the user side, {merchants} on the merchant side; {mismatched.Count} shard(s) differ"));
        foreach (var shard in mismatched)
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {shard.Name}: user {shard.UserCount} rows {shard.UserChecksum}, merchant {shard.MerchantCount} rows {shard.MerchantChecksum}"));
        }

        foreach (var difference in result.Differences.Take(MaxListed))
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  order {difference.OrderId} (merchant:{difference.MerchantShard}): {difference.Kind}, user v{difference.UserVersion?.ToString(CultureInfo.InvariantCulture) ?? "-"}, merchant v{difference.MerchantVersion?.ToString(CultureInfo.InvariantCulture) ?? "-"}{(difference.Repaired ? ", repaired" : "")}"));
        }

        if (result.Differences.Count > MaxListed)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ... and {result.Differences.Count - MaxListed} more (--json lists all)"));
        }

        foreach (var failed in result.Shards.Where(s => s.Error is not null))
        {
            error.WriteLine($"failed: {failed.Name}: {failed.Error}");
        }

        output.WriteLine(repair
            ? FormattableString.Invariant($"{result.Differences.Count} difference(s), {result.Differences.Count(d => d.Repaired)} repaired, {result.Remaining} remaining")
            : FormattableString.Invariant($"{result.Differences.Count} difference(s)"));
    }
}

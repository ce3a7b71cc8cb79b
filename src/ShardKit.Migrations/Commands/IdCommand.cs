using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ShardKit.Migrations.Commands;

/// <summary><c>shardkit id decode N [--json] [--shard-count C]</c>: shows what a ShardKit order ID carries.</summary>
internal static class IdCommand
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Creates the <c>id</c> command with its <c>decode</c> subcommand.</summary>
    public static Command Create()
    {
        var orderId = new Argument<string>("order-id") { Description = "The order ID to decode (a positive decimal number)." };
        var json = new Option<bool>("--json") { Description = "Print the decoded fields as JSON." };
        var shardCount = new Option<int>("--shard-count")
        {
            Description = "Shards per dimension the ID was generated for (1-128).",
            DefaultValueFactory = _ => ShardFunctions.DefaultShardCount,
        };

        var decode = new Command("decode", "Decode an order ID: time (UTC), worker, sequence, user shard and merchant shard. Exit code 2 if it is not a ShardKit order ID.");
        decode.Arguments.Add(orderId);
        decode.Options.Add(json);
        decode.Options.Add(shardCount);
        Cli.SetAction(decode, parseResult => Decode(
            parseResult.GetRequiredValue(orderId),
            parseResult.GetValue(shardCount),
            parseResult.GetValue(json),
            TimeProvider.System,
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error));

        var id = new Command("id", "Work with ShardKit order IDs.");
        id.Subcommands.Add(decode);
        return id;
    }

    /// <summary>Decodes <paramref name="text"/> and prints it; returns the exit code.</summary>
    internal static int Decode(string text, int shardCount, bool json, TimeProvider timeProvider, TextWriter output, TextWriter error)
    {
        if (shardCount is < 1 or > ShardFunctions.MaxShardCount)
        {
            return CliErrors.Write(output, error, json, ExitCodes.Usage, $"--shard-count must be between 1 and {ShardFunctions.MaxShardCount}; got {shardCount}.", []);
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return CliErrors.Write(output, error, json, ExitCodes.Usage, $"'{text}' is not a ShardKit order ID: it is not a decimal number that fits in 64 bits.", []);
        }

        OrderId id;
        try
        {
            id = OrderId.Parse(value, shardCount, timeProvider);
        }
        catch (ShardKitException exception) when (exception.ErrorCode == ShardKitErrorCode.InvalidOrderId)
        {
            return CliErrors.Write(output, error, json, ExitCodes.Usage, exception.Message, []);
        }

        var time = id.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(
                new Decoded(id.Value, time, id.WorkerId, id.Sequence, id.UserShard, id.MerchantShard),
                s_json));
        }
        else
        {
            output.WriteLine($"order id        {id.Value}");
            output.WriteLine($"time (UTC)      {time}");
            output.WriteLine($"worker          {id.WorkerId}");
            output.WriteLine($"sequence        {id.Sequence}");
            output.WriteLine($"user shard      {id.UserShard}");
            output.WriteLine($"merchant shard  {id.MerchantShard}");
        }

        return ExitCodes.Ok;
    }

    private sealed record Decoded(long OrderId, string Timestamp, int WorkerId, int Sequence, int UserShard, int MerchantShard);
}

using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.Configuration;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.Migration;

/// <summary><c>shardkit move-shard</c> end to end on 4 clusters: bad input, a move, Ctrl+C and resume, rollback, complete, the 2 → 4 rebalance plan and its execution.</summary>
public sealed class ShardMoveCommandTests
{
    [Fact]
    public async Task MoveShardCommandsMoveRollBackResumeAndRebalanceTwoClustersOntoFour()
    {
        await using var topology = await ShardMoveTopology.StartAsync(clusters: 4);
        var config = new[] { "--config", topology.ConfigPath };
        for (var i = 0; i < 80; i++)
        {
            await topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, 2), (s, ct) => s.Connection.ExecuteAsync(
                s.Sql("INSERT INTO {schema}.`notes` (note_id, user_id, body, version) VALUES (@Id, 1, 'x', 1)"), new { Id = i }));
        }

        Assert.Contains("--shard user:N --to CLUSTER", (await RunAsync([.. config])).Error, StringComparison.Ordinal);
        Assert.Equal((2, "shards 0 to 3"), Code(await RunAsync([.. config, "--shard", "user:9", "--to", "c1"]), "shards 0 to 3"));
        Assert.Equal((2, "user:N or merchant:N"), Code(await RunAsync([.. config, "--shard", "order:1", "--to", "c1"]), "user:N or merchant:N"));
        Assert.Equal((2, "'c9' is not a cluster"), Code(await RunAsync([.. config, "--shard", "user:0", "--to", "c9"]), "'c9' is not a cluster"));
        Assert.Equal((2, "already on cluster 'c0'"), Code(await RunAsync([.. config, "--shard", "user:0", "--to", "c0"]), "already on cluster 'c0'"));

        var (moved, movedOutput, _) = await RunAsync([.. config, "--shard", "user:0", "--to", "c2", "--json"]);
        Assert.Equal(0, moved);
        var report = JsonDocument.Parse(movedOutput).RootElement;
        Assert.Equal("MOVED", report.GetProperty("moves")[0].GetProperty("state").GetString());
        // The pause was measured and reported (its figures are the migration load tool's, not a timed test).
        Assert.True(report.GetProperty("pauseP99Ms").GetDouble() > 0);
        Assert.Equal((1, "complete --shard user:0"), Code(await RunAsync([.. config, "--shard", "user:0", "--to", "c3"]), "complete --shard user:0"));

        // Ctrl+C during a throttled copy pauses; status names the interrupted command; resume finishes the move.
        // Ctrl+C comes once the copy has begun (not after a fixed time, which a loaded machine may spend setting up).
        using (var ctrlC = new CancellationTokenSource())
        {
            var move = RunAsync([.. config, "--shard", "user:2", "--to", "c3", "--rows-per-second", "20", "--chunk-size", "10"], ctrlC.Token);
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (!move.IsCompleted && waited.Elapsed < TimeSpan.FromSeconds(60))
            {
                var moveStatus = (await RunAsync(["status", .. config, "--shard", "user:2", "--json"])).Output;
                if (moveStatus.TrimStart().StartsWith('[') && JsonDocument.Parse(moveStatus).RootElement is { } states
                    && states.GetArrayLength() > 0 && states[0].GetProperty("state").GetString() == "COPY")
                {
                    break;
                }

                await Task.Delay(50);
            }

            await ctrlC.CancelAsync();
            var (paused, _, pausedError) = await move;
            Assert.Equal(MigrateCommand.ExitPaused, paused);
            Assert.Contains("move-shard resume", pausedError, StringComparison.Ordinal);
        }

        var interrupted = JsonDocument.Parse((await RunAsync(["status", .. config, "--shard", "user:2", "--json"])).Output).RootElement[0];
        Assert.Equal("COPY", interrupted.GetProperty("state").GetString());
        Assert.Contains("move", interrupted.GetProperty("interruptedCommand").GetString(), StringComparison.Ordinal);
        var (resumed, resumedOutput, _) = await RunAsync(["resume", .. config]);
        Assert.Equal(0, resumed);
        Assert.Contains("user:2: moved to 'c3'", resumedOutput, StringComparison.Ordinal);
        await using (var c3 = await topology.OpenClusterAsync("c3"))
        {
            Assert.Equal(80, await c3.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM `sk_user_002`.`notes`"));
        }

        // Roll user:2 back and complete both.
        Assert.Equal(0, (await RunAsync(["rollback", .. config, "--shard", "user:2"])).Exit);
        Assert.Equal(0, (await RunAsync(["complete", .. config, "--shard", "user:2"])).Exit);
        Assert.Equal(0, (await RunAsync(["complete", .. config, "--shard", "user:0"])).Exit);

        // 2 → 4: user:0 already went to c2, so the user dimension needs one move (user:3 → c3), the merchant dimension two.
        var plan = JsonDocument.Parse((await RunAsync(["plan", .. config, "--clusters", "c0,c1,c2,c3", "--json"])).Output).RootElement.GetProperty("moves");
        Assert.Equal(["user:3 c1->c3", "merchant:1 c0->c2", "merchant:3 c1->c3"], plan.EnumerateArray().Select(m => $"{m.GetProperty("shard").GetString()} {m.GetProperty("from").GetString()}->{m.GetProperty("to").GetString()}"));
        Assert.Equal((2, "'c7' is not a cluster"), Code(await RunAsync(["plan", .. config, "--clusters", "c0,c7"]), "'c7' is not a cluster"));
        Assert.Equal(0, (await RunAsync(["plan", .. config, "--clusters", "c0,c1,c2,c3", "--execute"])).Exit);
        Assert.Empty(JsonDocument.Parse((await RunAsync(["plan", .. config, "--clusters", "c0,c1,c2,c3", "--json"])).Output).RootElement.GetProperty("moves").EnumerateArray());
        var status = JsonDocument.Parse((await RunAsync(["status", .. config, "--json"])).Output).RootElement;
        Assert.Equal(3, status.EnumerateArray().Count(m => m.GetProperty("state").GetString() == "MOVED"));

        // complete --write-config writes the placement as it is now.
        var written = Path.Combine(topology.Topology.Directory, "after.json");
        Assert.Equal(0, (await RunAsync(["complete", .. config, "--shard", "user:3", "--write-config", written])).Exit);
        var section = JsonNode.Parse(await File.ReadAllTextAsync(written))!["ShardKit"]!;
        Assert.Equal(2, section["MapVersion"]!.GetValue<long>());
        Assert.Equal(
            ["0:c2", "1:c0", "2:c1", "3:c3"],
            section["Dimensions"]!["User"]!["Placement"]!.AsArray().Select(p => $"{p!["Shards"]}:{p["Cluster"]}"));
        Assert.Empty(ShardMap.Validate(LoadOptions(written)));
    }

    private static ShardKitOptions LoadOptions(string path)
    {
        var options = new ShardKitOptions();
        new ConfigurationBuilder().AddJsonFile(path).Build().GetSection("ShardKit").Bind(options);
        return options;
    }

    private static (int, string) Code((int Exit, string Output, string Error) result, string expected) =>
        (result.Exit, result.Error.Contains(expected, StringComparison.Ordinal) ? expected : result.Error);

    internal static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await MoveShardCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
        return (exit, output.ToString(), error.ToString());
    }
}

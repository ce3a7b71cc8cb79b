using System.CommandLine;
using System.Text.Json;
using Dapper;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.Migration;

/// <summary><c>shardkit migrate</c> end to end: bad input, Ctrl+C pauses, <c>resume</c> continues, <c>--json</c> for scripts.</summary>
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task MigrateCommandsRunThePhasesPauseOnCtrlCAndResume()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 100);
        var config = new[] { "--config", topology.ConfigPath };

        var (notPlanned, _, notPlannedError) = await RunAsync(["status", .. config]);
        Assert.Equal(1, notPlanned);
        Assert.Contains("No migration is planned", notPlannedError, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync(["plan", .. config, "--json"])).Exit);
        Assert.Equal(0, (await RunAsync(["start", .. config])).Exit);
        var (noBuckets, _, noBucketsError) = await RunAsync(["cutover", .. config]);
        Assert.Equal(2, noBuckets);
        Assert.Contains("--buckets LIST or --all", noBucketsError, StringComparison.Ordinal);
        var (badBucket, _, badBucketError) = await RunAsync(["cutover", .. config, "--buckets", "1,99"]);
        Assert.Equal(2, badBucket);
        Assert.Contains("'99'", badBucketError, StringComparison.Ordinal);

        // Ctrl+C during a slow backfill pauses it; status names the interrupted command; resume finishes it.
        using (var ctrlC = new CancellationTokenSource(TimeSpan.FromMilliseconds(800)))
        {
            var (paused, _, pausedError) = await RunAsync(["backfill", .. config, "--rows-per-second", "40", "--chunk-size", "10"], ctrlC.Token);
            Assert.Equal(MigrateCommand.ExitPaused, paused);
            Assert.Contains("migrate resume", pausedError, StringComparison.Ordinal);
        }

        var interrupted = JsonDocument.Parse((await RunAsync(["status", .. config, "--json"])).Output).RootElement;
        Assert.Contains("backfill", interrupted.GetProperty("interruptedCommand").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await RunAsync(["resume", .. config])).Exit);

        var (cutover, cutoverOutput, _) = await RunAsync(["cutover", .. config, "--all", "--json"]);
        Assert.Equal(0, cutover);
        // The pause was measured and reported (its figures are the migration load tool's, not a timed test).
        Assert.True(JsonDocument.Parse(cutoverOutput).RootElement.GetProperty("pauseP99Ms").GetDouble() >= 0);
        var status = JsonDocument.Parse((await RunAsync(["status", .. config, "--json"])).Output).RootElement;
        Assert.Equal("MOVED", status.GetProperty("phase").GetString());
        Assert.Equal(JsonValueKind.Null, status.GetProperty("interruptedCommand").ValueKind);
        Assert.Equal(0, (await RunAsync(["verify", .. config])).Exit);
    }

    [Fact]
    public async Task APlanKilledBeforeItsBucketsIsFinishedByResumeAndNoStepRunsOnItBefore()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 20);
        var config = new[] { "--config", topology.ConfigPath };
        Assert.Equal(0, (await RunAsync(["plan", .. config])).Exit);

        // What a kill -9 after the plan recorded itself and before it recorded the buckets leaves behind.
        await using (var control = await topology.Shards.OpenClusterAsync(topology.Shards.Map.Clusters[0], CancellationToken.None))
        {
            await control.ExecuteAsync($"UPDATE `{ShardKit.Migration.ControlSchema.Name}`.`migration` SET command = '[\"plan\"]'");
            await control.ExecuteAsync($"DELETE FROM `{ShardKit.Migration.ControlSchema.Name}`.`{ShardKit.Migration.ControlSchema.Units}` WHERE job = 'import'");
        }

        var (refused, _, refusedError) = await RunAsync(["start", .. config]);
        Assert.Equal(1, refused);
        Assert.Contains("The plan has not finished (0 of 8 buckets recorded)", refusedError, StringComparison.Ordinal);
        Assert.Contains("plan", JsonDocument.Parse((await RunAsync(["status", .. config, "--json"])).Output).RootElement.GetProperty("interruptedCommand").GetString(), StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync(["resume", .. config])).Exit);
        var planned = JsonDocument.Parse((await RunAsync(["status", .. config, "--json"])).Output).RootElement;
        Assert.Equal(JsonValueKind.Null, planned.GetProperty("interruptedCommand").ValueKind);
        Assert.Equal(Enumerable.Repeat("PLAN", MigrationTopology.ShardCount), planned.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("state").GetString()));
        Assert.Equal(0, (await RunAsync(["start", .. config])).Exit);
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await MigrateCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
        return (exit, output.ToString(), error.ToString());
    }
}

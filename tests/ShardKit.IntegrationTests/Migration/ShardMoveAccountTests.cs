using System.CommandLine;
using Dapper;
using ShardKit.Migration;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// <c>shardkit move-shard</c> with the migrator's account (docs/migration.md's grants, no SUPER) on servers that refuse it something:
/// the start fails at once with one line that names what is missing and what to do, and leaves nothing behind.
/// </summary>
public sealed class ShardMoveAccountTests
{
    private const string Schema = "sk_user_000";

    [Fact]
    public async Task AMoveOnAServerThatDoesNotTrustTriggerCreatorsFailsAtOnceSaysWhatToSetAndLeavesNothingBehind()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var config = new[] { "--config", topology.ConfigPath };

        // A production primary: the binary log on, log_bin_trust_function_creators off; the migrator's account has no SUPER.
        foreach (var cluster in topology.Topology.Clusters)
        {
            await cluster.Primary.ExecuteAsync("SET GLOBAL log_bin_trust_function_creators = 0");
        }

        var (exit, _, error) = await RunAsync([.. config, "--shard", "user:0", "--to", "c1"]);

        Assert.Equal(1, exit);
        AssertOneLineWithoutStackTrace(error);
        Assert.Contains("Shard user:0 was not moved", error, StringComparison.Ordinal);
        Assert.Contains("cluster 'c0'", error, StringComparison.Ordinal);
        Assert.Contains("log_bin_trust_function_creators = 0", error, StringComparison.Ordinal);
        Assert.Contains("SUPER privilege, which account 'shardkit_migrator'@'%' does not have", error, StringComparison.Ordinal);
        Assert.Contains("`SET GLOBAL log_bin_trust_function_creators = 1`", error, StringComparison.Ordinal);
        Assert.Contains("docs/migration.md", error, StringComparison.Ordinal);
        await AssertNothingLeftAsync(topology);
        var (resumed, resumeOutput, _) = await RunAsync(["resume", .. config]);
        Assert.Equal(0, resumed);
        Assert.Contains("nothing to resume", resumeOutput, StringComparison.Ordinal);

        // Either remedy the message names works with the same account: SUPER (read when a session logs in; every run is new) ...
        foreach (var cluster in topology.Topology.Clusters)
        {
            await cluster.Primary.ExecuteAsync("GRANT SUPER ON *.* TO 'shardkit_migrator'@'%'");
        }

        var (withSuper, withSuperOutput, withSuperError) = await RunAsync([.. config, "--shard", "user:0", "--to", "c1"]);
        Assert.True(withSuper == 0, withSuperError);
        Assert.Contains("moved to c1", withSuperOutput, StringComparison.Ordinal);

        // ... or, without SUPER, the server setting.
        foreach (var cluster in topology.Topology.Clusters)
        {
            await cluster.Primary.ExecuteAsync("REVOKE SUPER ON *.* FROM 'shardkit_migrator'@'%'; SET GLOBAL log_bin_trust_function_creators = 1");
        }

        var (moved, movedOutput, movedError) = await RunAsync([.. config, "--shard", "user:1", "--to", "c1"]);
        Assert.True(moved == 0, movedError);
        Assert.Contains("moved to c1", movedOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMoveStartRefusedHalfwayByAMissingGrantRemovesWhatItInstalledAndNamesTheGrant()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var config = new[] { "--config", topology.ConfigPath };
        await WriteNoteAsync(topology, 1);

        // The new cluster's account lacks TRIGGER: the old cluster's triggers and both sides' tables are in place when it is refused.
        await topology.Topology.Clusters[1].Primary.ExecuteAsync(@"REVOKE TRIGGER ON `sk\_user\_%`.* FROM 'shardkit_migrator'@'%'");

        var (exit, _, error) = await RunAsync([.. config, "--shard", "user:0", "--to", "c1"]);

        Assert.Equal(1, exit);
        AssertOneLineWithoutStackTrace(error);
        Assert.Contains("Shard user:0 was not moved", error, StringComparison.Ordinal);
        Assert.Contains("cluster 'c1'", error, StringComparison.Ordinal);
        Assert.Contains("TRIGGER command denied to user 'shardkit_migrator'@", error, StringComparison.Ordinal);
        Assert.Contains("docs/migration.md", error, StringComparison.Ordinal);
        Assert.Contains("triggers and tables were removed and nothing is recorded", error, StringComparison.Ordinal);
        Assert.DoesNotContain("authentication failed", error, StringComparison.Ordinal);
        await AssertNothingLeftAsync(topology);

        // No fence is left to refuse or log a writer of the shard.
        await WriteNoteAsync(topology, 2);
        Assert.Equal("2", await topology.Topology.Clusters[0].Primary.QueryScalarAsync($"SELECT COUNT(*) FROM `{Schema}`.`notes`"));
    }

    private static Task WriteNoteAsync(ShardMoveTopology topology, int id) =>
        topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, 0), (s, ct) => s.Connection.ExecuteAsync(
            s.Sql("INSERT INTO {schema}.`notes` (note_id, user_id, body, version) VALUES (@Id, 1, 'x', 1)"), new { Id = id }));

    private static void AssertOneLineWithoutStackTrace(string error)
    {
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
    }

    /// <summary>No move unit, no trigger or move table on the old cluster, no schema on the new one.</summary>
    private static async Task AssertNothingLeftAsync(ShardMoveTopology topology)
    {
        var oldCluster = topology.Topology.Clusters[0].Primary;
        var newCluster = topology.Topology.Clusters[1].Primary;
        Assert.Equal("0", await oldCluster.QueryScalarAsync("SELECT COUNT(*) FROM shardkit_control.units WHERE job = 'move'"));
        Assert.Equal("0", await oldCluster.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = '{Schema}'"));
        Assert.Equal("0", await oldCluster.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '{Schema}' AND table_name IN ('{ShardFence.FenceTable}', '{ShardFence.ChangeTable}')"));
        Assert.Equal("0", await newCluster.QueryScalarAsync($"SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '{Schema}'"));
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await MoveShardCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}

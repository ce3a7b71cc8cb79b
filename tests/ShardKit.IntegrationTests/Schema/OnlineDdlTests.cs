using System.Diagnostics;
using ShardKit.IntegrationTests.Migration;
using ShardKit.IntegrationTests.Orders;

namespace ShardKit.IntegrationTests.Schema;

/// <summary>
/// <c>shardkit schema apply --sql</c> under the online rules on real MariaDB: 2 clusters with a replica each, 8 shards per
/// dimension. Every test changes columns of its own; waits poll with generous timeouts (the machine is shared).
/// </summary>
public sealed class OnlineDdlTests(OnlineDdlFixture fixture) : IClassFixture<OnlineDdlFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task ANullableColumnReachesEveryShardWhileOrdersAreWrittenWithoutAnError()
    {
        await using var shards = fixture.Build();
        using var orders = new TwoDimensionOrderStore(shards);
        var factory = new OrderFactory(workerId: 71, OnlineDdlFixture.ShardCount);
        using var stop = new CancellationTokenSource();
        var written = 0;
        var errors = new List<string>();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await orders.CreateAsync(factory.New(5_000 + (i % 97), 9_000 + (i % 89)));
                    Interlocked.Increment(ref written);
                }
                catch (Exception ex) when (ex is ShardKitException or System.Data.Common.DbException or TimeoutException)
                {
                    lock (errors)
                    {
                        errors.Add(ex.Message);
                    }
                }
            }
        });
        await PollAsync(() => Volatile.Read(ref written) >= 20, "the writer to get going");

        var script = await fixture.WriteScriptAsync("ALTER TABLE {orders} ADD COLUMN gift_note VARCHAR(200) NULL;");
        var (exitCode, output, error) = await OnlineDdlFixture.RunAsync("apply", "--config", fixture.ConfigPath, "--sql", script, "--parallel", "2");
        var atEnd = Volatile.Read(ref written);
        await PollAsync(() => Volatile.Read(ref written) >= atEnd + 20, "the writer to go on after the roll-out");
        await stop.CancelAsync();
        await writer;

        Assert.True(exitCode == 0, $"exit {exitCode}: {output} {error}");
        Assert.Empty(errors);
        Assert.Contains("16 applied, 0 already done, 0 failed, 0 not started", output, StringComparison.Ordinal);
        Assert.Contains("time per shard:", output, StringComparison.Ordinal);
        Assert.Contains("user: statement 1 (ALTER TABLE {orders} ADD COLUMN gift_note VARCHAR(200) NULL) ran with ALGORITHM=INSTANT", output, StringComparison.Ordinal);
        Assert.Contains("merchant: statement 1 (ALTER TABLE {orders} ADD COLUMN gift_note VARCHAR(200) NULL) ran with ALGORITHM=INSTANT", output, StringComparison.Ordinal);
        Assert.All(await fixture.ColumnTypesAsync("gift_note"), t => Assert.Equal("varchar", t.Value));
        foreach (var cluster in fixture.Topology.Clusters)
        {
            await cluster.WaitForReplicationAsync(s_timeout);
            Assert.Equal("8", await cluster.Replicas[0].QueryScalarAsync(
                "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA LIKE 'sk\\_%' AND TABLE_NAME = 'orders' AND COLUMN_NAME = 'gift_note'"));
        }

        var (statusExit, statusOutput, statusError) = await OnlineDdlFixture.RunAsync("status", "--config", fixture.ConfigPath);
        Assert.True(statusExit == 0, statusOutput + statusError);
        Assert.Contains("OK: no drift on 16 shards", statusOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStatementThatWouldCopyTheTableIsRefusedOnTheCanaryAndRunsOnlyWithAllowBlocking()
    {
        Assert.Equal(0, (await OnlineDdlFixture.RunAsync("apply", "--config", fixture.ConfigPath, "--sql", await fixture.WriteScriptAsync("ALTER TABLE {orders} ADD COLUMN legacy_code INT NULL"))).ExitCode);
        var script = await fixture.WriteScriptAsync("ALTER TABLE {orders} MODIFY COLUMN legacy_code VARCHAR(20) NULL");

        var (exitCode, _, error) = await OnlineDdlFixture.RunAsync("apply", "--config", fixture.ConfigPath, "--sql", script);

        Assert.Equal(1, exitCode);
        Assert.Contains("failed: user:0 on c0", error, StringComparison.Ordinal);
        Assert.Contains("would copy the table or block writes: ", error, StringComparison.Ordinal);
        Assert.Contains("--allow-blocking", error, StringComparison.Ordinal);
        Assert.Contains("15 shard(s) not started (user:1-7, merchant:0-7)", error, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Topology.Password, error, StringComparison.Ordinal);
        Assert.All(await fixture.ColumnTypesAsync("legacy_code"), t => Assert.Equal("int", t.Value));

        var (allowedExit, allowedOutput, allowedError) = await OnlineDdlFixture.RunAsync("apply", "--config", fixture.ConfigPath, "--sql", script, "--allow-blocking");

        Assert.True(allowedExit == 0, allowedOutput + allowedError);
        Assert.Contains("user: statement 1 (ALTER TABLE {orders} MODIFY COLUMN legacy_code VARCHAR(20) NULL) ran as written, blocking (allowed)", allowedOutput, StringComparison.Ordinal);
        Assert.All(await fixture.ColumnTypesAsync("legacy_code"), t => Assert.Equal("varchar", t.Value));
    }

    [Fact]
    public async Task AFailureOnTheCanaryChangesNoOtherShard()
    {
        // The canary (user:0) already has the column, as if someone had added it by hand.
        await fixture.Topology.Clusters[0].Primary.ExecuteAsync($"ALTER TABLE `{fixture.Schema("user", 0)}`.`orders` ADD COLUMN canary_probe INT NULL");
        var script = await fixture.WriteScriptAsync("ALTER TABLE {orders} ADD COLUMN canary_probe INT NULL");

        var (exitCode, _, error) = await OnlineDdlFixture.RunAsync("apply", "--config", fixture.ConfigPath, "--sql", script, "--parallel", "4");

        Assert.Equal(1, exitCode);
        Assert.Contains("failed: user:0 on c0", error, StringComparison.Ordinal);
        Assert.Contains("Duplicate column name 'canary_probe'", error, StringComparison.Ordinal);
        Assert.Contains("15 shard(s) not started", error, StringComparison.Ordinal);
        var types = await fixture.ColumnTypesAsync("canary_probe");
        Assert.Equal("int", types["user:0"]);
        Assert.All(types.Where(t => t.Key != "user:0"), t => Assert.Equal("-", t.Value));
        await fixture.Topology.Clusters[0].Primary.ExecuteAsync($"ALTER TABLE `{fixture.Schema("user", 0)}`.`orders` DROP COLUMN canary_probe");
    }

    [Fact]
    public async Task AFailureInALaterWaveNamesTheShardsDoneFailedAndNotStartedAndStatusShowsTheDrift()
    {
        await fixture.Topology.Clusters[1].Primary.ExecuteAsync($"ALTER TABLE `{fixture.Schema("user", 5)}`.`orders` ADD COLUMN wave_probe INT NULL");
        var script = await fixture.WriteScriptAsync("ALTER TABLE {orders} ADD COLUMN wave_probe INT NULL");

        var (exitCode, output, error) = await OnlineDdlFixture.RunAsync("apply", "--config", fixture.ConfigPath, "--sql", script, "--parallel", "2");

        // Waves: user:0, then 1-2, 3-4, 5-6 (5 fails, 6 finishes); nothing after.
        Assert.Equal(1, exitCode);
        Assert.Matches(@"applied\s+6\s+user:0-4, user:6", output);
        Assert.Matches(@"failed\s+1\s+user:5", output);
        Assert.Matches(@"not started\s+9\s+user:7, merchant:0-7", output);
        Assert.Contains("failed: user:5 on c1", error, StringComparison.Ordinal);
        Assert.Contains("stopped at the first failure: 9 shard(s) not started (user:7, merchant:0-7)", error, StringComparison.Ordinal);

        var (statusExit, _, statusError) = await OnlineDdlFixture.RunAsync("status", "--config", fixture.ConfigPath);

        Assert.Equal(1, statusExit);
        Assert.Contains("shard user:7", statusError, StringComparison.Ordinal);
        Assert.Contains("reached 6 of 8 user shards; not yet: user:5, user:7", statusError, StringComparison.Ordinal);

        // The shard that failed was started: on a re-run, its column already there counts as done (the documented rule).
        var (rerunExit, rerunOutput, rerunError) = await OnlineDdlFixture.RunAsync("apply", "--config", fixture.ConfigPath, "--sql", script, "--parallel", "4");

        Assert.True(rerunExit == 0, rerunOutput + rerunError);
        Assert.Contains("10 applied, 6 already done, 0 failed, 0 not started", rerunOutput, StringComparison.Ordinal);
        Assert.All(await fixture.ColumnTypesAsync("wave_probe"), t => Assert.Equal("int", t.Value));
    }

    [Fact]
    public async Task AfterKillMinus9MidRollOutARerunSkipsTheShardsDoneAndFinishes()
    {
        // A second per shard after the change widens the window for the kill.
        const string Sql = "ALTER TABLE {orders} ADD COLUMN kill_probe INT NULL;\nDO SLEEP(1);";
        var script = await fixture.WriteScriptAsync(Sql);
        var checksum = ShardKit.Schema.SqlScript.Checksum(Sql);
        var cli = CliProcess.Start("schema", "apply", "--config", fixture.ConfigPath, "--sql", script, "--parallel", "1");
        await using (cli)
        {
            await PollAsync(async () => await DoneAsync(checksum) >= 3 || cli.HasExited, "three shards to be recorded before the kill");
            Assert.True(await cli.KillAsync(), $"the CLI finished before it could be killed: {cli.Output} {cli.Error}");
        }

        var doneAtKill = await DoneAsync(checksum);
        Assert.InRange(doneAtKill, 3, 15);

        var (exitCode, output, error) = await OnlineDdlFixture.RunAsync("apply", "--config", fixture.ConfigPath, "--sql", script, "--parallel", "4");

        Assert.True(exitCode == 0, output + error);
        Assert.Contains($"{16 - doneAtKill} applied, {doneAtKill} already done, 0 failed, 0 not started", output, StringComparison.Ordinal);
        Assert.All(await fixture.ColumnTypesAsync("kill_probe"), t => Assert.Equal("int", t.Value));
        Assert.Equal(16, await DoneAsync(checksum));
    }

    [Fact]
    public async Task TheRollOutWaitsWhileAReplicaLagsAndGoesOnWhenItCatchesUp()
    {
        var replica = fixture.Topology.Clusters[0].Replicas[0];
        var script = await fixture.WriteScriptAsync("ALTER TABLE {orders} ADD COLUMN lag_probe INT NULL");
        await replica.PauseReplicationAsync();
        try
        {
            // The newest heartbeat the replica shows is now older than the 1 s limit by the time the CLI looks.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var cli = CliProcess.Start("schema", "apply", "--config", fixture.ConfigPath, "--sql", script, "--max-replica-lag", "1");
            await using (cli)
            {
                await PollAsync(() => cli.Output.Contains($"waiting: replica {replica.Host}:{replica.Port} of cluster c0", StringComparison.Ordinal) || cli.HasExited, "the CLI to wait for the paused replica");
                Assert.False(cli.HasExited, $"the CLI did not wait: {cli.Output} {cli.Error}");
                Assert.All(await fixture.ColumnTypesAsync("lag_probe"), t => Assert.Equal("-", t.Value));

                await replica.ResumeReplicationAsync();
                var exitCode = await cli.WaitForExitAsync(s_timeout);

                Assert.True(exitCode == 0, cli.Output + cli.Error);
                Assert.Contains("16 applied", cli.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            await replica.ResumeReplicationAsync();
        }

        Assert.All(await fixture.ColumnTypesAsync("lag_probe"), t => Assert.Equal("int", t.Value));
    }

    [Fact]
    public async Task ARunningDataSourceSeesTheNewColumnWithoutBeingRebuilt()
    {
        await using var shards = fixture.Build();
        var before = await shards.CheckTablesAsync();
        Assert.DoesNotContain(before.GetColumns(ShardDimension.User, "orders")!, c => c.Name == "shape_probe");

        var result = await new SchemaApplier(shards).ApplyAsync(new SchemaApplyOptions { Script = "ALTER TABLE {orders} ADD COLUMN shape_probe DATE NULL" });

        Assert.True(result.Succeeded, string.Join("; ", result.Shards.Where(s => s.Error is not null)));
        foreach (var dimension in new[] { ShardDimension.User, ShardDimension.Merchant })
        {
            var column = Assert.Single(shards.TableCheck!.GetColumns(dimension, "orders")!, c => c.Name == "shape_probe");
            Assert.Equal("date", column.DataType);
            Assert.True(column.IsNullable);
        }

        Assert.True(shards.TableCheck!.IsValid, string.Join("; ", shards.TableCheck.Problems));
    }

    private async Task<int> DoneAsync(string checksum)
    {
        var done = 0;
        foreach (var cluster in fixture.Topology.Clusters)
        {
            done += int.Parse(await cluster.Primary.QueryScalarAsync($"SELECT COUNT(*) FROM shardkit.shardkit_schema_log WHERE checksum = '{checksum}'") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        }

        return done;
    }

    private static Task PollAsync(Func<bool> condition, string what) => PollAsync(() => Task.FromResult(condition()), what);

    private static async Task PollAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > s_timeout)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(100);
        }
    }
}

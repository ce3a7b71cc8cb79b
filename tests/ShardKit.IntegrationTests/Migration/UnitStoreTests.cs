using System.CommandLine;
using Dapper;
using ShardKit.Migration;
using ShardKit.Migrations.Commands;
using ShardKit.Migrations.Migration;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The one state table of both jobs (<c>shardkit_control.units</c>) through <see cref="UnitStore"/>, with the migrator's account:
/// the same shard can be a unit of each job without one job's writes touching the other's row, each job sees the other's
/// unfinished units, and a control schema of an earlier version with an unfinished job is refused with one line.
/// </summary>
public sealed class UnitStoreTests
{
    [Fact]
    public async Task BothJobsKeepTheirUnitsInOneTableAndEachSeesTheOthersUnfinishedUnits()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var cluster = topology.Mover.Map.Clusters[0];
        await using (var control = await topology.OpenClusterAsync(cluster.Name))
        {
            await ControlSchema.EnsureAsync(control, CancellationToken.None);
        }

        var import = new UnitStore(topology.Mover, cluster, MigrationJob.Import);
        var moves = new UnitStore(topology.Mover, cluster, MigrationJob.Move);
        Assert.Empty(await moves.UnfinishedAsync(MigrationJob.Import, CancellationToken.None));
        Assert.Empty(await import.UnfinishedAsync(MigrationJob.Move, CancellationToken.None));

        // An import whose plan recorded the job but not yet its buckets is unfinished: the plan fences the user shards first.
        await using (var control = await topology.OpenClusterAsync(cluster.Name))
        {
            await control.ExecuteAsync(
                $"""
                INSERT INTO `{ControlSchema.Name}`.`migration` (id, phase, state_version, source, source_schema, buckets, created_at, updated_at)
                VALUES (1, 'PLAN', 1, 'legacy:3306', 'legacy', {ShardMoveTopology.ShardCount}, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))
                """);
        }

        Assert.Equal(["the plan (phase PLAN)"], await moves.UnfinishedAsync(MigrationJob.Import, CancellationToken.None));

        var buckets = Enumerable.Range(0, ShardMoveTopology.ShardCount).ToList();
        await import.AddAsync(ShardDimension.User, buckets, "PLAN", CancellationToken.None);
        await import.AddAsync(ShardDimension.User, buckets, "PLAN", CancellationToken.None);
        Assert.Equal(buckets.Select(b => $"bucket {b} PLAN"), await moves.UnfinishedAsync(MigrationJob.Import, CancellationToken.None));

        // user:0 is a unit of each job; each job's writes, one unit's or all in a state, leave the other's row as it was.
        await moves.ReplaceAsync(ShardDimension.User, 0, "COPY", epoch: 0, command: "[\"move\"]", "c0", "c1", CancellationToken.None);
        await moves.UpdateAsync(ShardDimension.User, 0, "rows_copied = @Rows, copy_done = 1", new { Rows = 7 }, CancellationToken.None);
        await moves.RecordAsync(ShardDimension.User, 0, "MOVED", error: null, epoch: 1, pauseMs: 40, CancellationToken.None);
        await import.SetStatesAsync("PLAN", "MOVED", CancellationToken.None);
        await import.RecordAsync(ShardDimension.User, 0, "COMPLETE", error: "kept", epoch: 3, pauseMs: 12.5, CancellationToken.None);
        await import.SetStatesAsync("MOVED", "COMPLETE", CancellationToken.None);

        var move = await moves.ReadAsync(ShardDimension.User, 0, CancellationToken.None);
        Assert.NotNull(move);
        Assert.Equal(("user", 0, "MOVED", 1, 40.0, (string?)null, "[\"move\"]"), (move.Dimension, move.Shard, move.State, move.Epoch, move.PauseMs, move.LastError, move.Command));
        Assert.Equal(("c0", "c1", true, 7L, 0L), (move.FromCluster, move.ToCluster, move.CopyDone, move.RowsCopied, move.Changes));
        Assert.Null(move.SourceRows);
        var bucket = await import.ReadAsync(ShardDimension.User, 0, CancellationToken.None);
        Assert.NotNull(bucket);
        Assert.Equal(("COMPLETE", 3, 12.5, "kept"), (bucket.State, bucket.Epoch, bucket.PauseMs, bucket.LastError));
        Assert.Null(bucket.FromCluster);
        Assert.Null(bucket.CopyDone);
        Assert.Equal(buckets, (await import.ReadAsync(CancellationToken.None)).Select(b => b.Shard));
        Assert.Single(await moves.ReadAsync(CancellationToken.None));

        Assert.Empty(await moves.UnfinishedAsync(MigrationJob.Import, CancellationToken.None));
        Assert.Equal(["user:0 MOVED"], await import.UnfinishedAsync(MigrationJob.Move, CancellationToken.None));

        // Finished: COMPLETE, no error, no interrupted command; the import may start again.
        await moves.RecordAsync(ShardDimension.User, 0, "MOVED", error: "a fallback", epoch: null, pauseMs: null, CancellationToken.None);
        await moves.FinishAsync(ShardDimension.User, 0, "COMPLETE", CancellationToken.None);
        move = await moves.ReadAsync(ShardDimension.User, 0, CancellationToken.None);
        Assert.Equal(("COMPLETE", 1, 40.0, (string?)null, (string?)null), (move!.State, move.Epoch, move.PauseMs, move.LastError, move.Command));
        Assert.Empty(await import.UnfinishedAsync(MigrationJob.Move, CancellationToken.None));

        // A start the servers refused leaves no row; a row in another state stays.
        await moves.ReplaceAsync(ShardDimension.Merchant, 2, "PLAN", epoch: 0, command: null, "c0", "c1", CancellationToken.None);
        await moves.DeleteAsync(ShardDimension.Merchant, 2, "COPY", CancellationToken.None);
        Assert.Equal(["merchant:2 PLAN"], await import.UnfinishedAsync(MigrationJob.Move, CancellationToken.None));
        await moves.DeleteAsync(ShardDimension.Merchant, 2, "PLAN", CancellationToken.None);
        Assert.Null(await moves.ReadAsync(ShardDimension.Merchant, 2, CancellationToken.None));
    }

    [Fact]
    public async Task AnEarlierVersionsUnfinishedJobIsRefusedWithOneLineNamingItsTableAndAFinishedOneIsNot()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var config = new[] { "--config", topology.ConfigPath };
        var control = topology.Topology.Clusters[0].Primary;

        // The control schema as an earlier version left it: a shard move under way and a legacy import with a moved bucket.
        await control.ExecuteAsync(
            """
            CREATE DATABASE shardkit_control;
            CREATE TABLE shardkit_control.shard_moves (
                dimension VARCHAR(8) NOT NULL, shard INT NOT NULL, from_cluster VARCHAR(64) NOT NULL, to_cluster VARCHAR(64) NOT NULL,
                state VARCHAR(16) NOT NULL, epoch INT NOT NULL DEFAULT 0, cursors TEXT NULL, copy_done TINYINT(1) NOT NULL DEFAULT 0,
                rows_copied BIGINT NOT NULL DEFAULT 0, changes BIGINT NOT NULL DEFAULT 0, pause_ms DOUBLE NULL, last_error VARCHAR(1024) NULL,
                command VARCHAR(512) NULL, started_at DATETIME(6) NOT NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (dimension, shard));
            INSERT INTO shardkit_control.shard_moves (dimension, shard, from_cluster, to_cluster, state, started_at, updated_at)
                VALUES ('user', 1, 'c0', 'c1', 'COPY', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6)), ('user', 2, 'c0', 'c1', 'COMPLETE', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            CREATE TABLE shardkit_control.buckets (
                bucket SMALLINT NOT NULL, state VARCHAR(16) NOT NULL, epoch INT NOT NULL DEFAULT 0, source_rows BIGINT NULL, target_rows BIGINT NULL,
                verified_at DATETIME(6) NULL, pause_ms DOUBLE NULL, last_error VARCHAR(512) NULL, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (bucket));
            INSERT INTO shardkit_control.buckets (bucket, state, updated_at) VALUES (0, 'MOVED', UTC_TIMESTAMP(6)), (1, 'COMPLETE', UTC_TIMESTAMP(6));
            """);

        string[][] refusedCommands = [["status", .. config], [.. config, "--shard", "user:0", "--to", "c1"]];
        foreach (var args in refusedCommands)
        {
            var (exit, _, error) = await RunAsync(args);
            Assert.Equal(1, exit);
            AssertOneLineWithoutStackTrace(error);
            Assert.Contains("table `buckets` of an earlier ShardKit version with 1 unfinished row(s) (a legacy import in progress)", error, StringComparison.Ordinal);
            Assert.Contains("finish it with that version (`shardkit migrate cutover`, then `shardkit migrate complete`)", error, StringComparison.Ordinal);
            Assert.Contains("Nothing was changed", error, StringComparison.Ordinal);
        }

        await control.ExecuteAsync("UPDATE shardkit_control.buckets SET state = 'COMPLETE'");
        var (moving, _, movingError) = await RunAsync(["status", .. config]);
        Assert.Equal(1, moving);
        AssertOneLineWithoutStackTrace(movingError);
        Assert.Contains("table `shard_moves` of an earlier ShardKit version with 1 unfinished row(s) (shard moves in progress)", movingError, StringComparison.Ordinal);
        Assert.Contains("finish them with that version (`shardkit move-shard complete`), or roll them back (`shardkit move-shard rollback`, then `complete`)", movingError, StringComparison.Ordinal);

        // Nothing was created, and no shard was touched.
        Assert.Equal("0", await control.QueryScalarAsync("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'shardkit_control' AND table_name = 'units'"));
        Assert.Equal("0", await control.QueryScalarAsync("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = 'sk_user_000'"));

        // Finished with the earlier version: this one carries on in its own table.
        await control.ExecuteAsync("UPDATE shardkit_control.shard_moves SET state = 'COMPLETE'");
        var (status, statusOutput, statusError) = await RunAsync(["status", .. config]);
        Assert.True(status == 0, statusError);
        Assert.Contains("no shard moves", statusOutput, StringComparison.OrdinalIgnoreCase);
        var (moved, movedOutput, movedError) = await RunAsync([.. config, "--shard", "user:0", "--to", "c1"]);
        Assert.True(moved == 0, movedError);
        Assert.Contains("moved to c1", movedOutput, StringComparison.Ordinal);
        Assert.Equal("1", await control.QueryScalarAsync("SELECT COUNT(*) FROM shardkit_control.units WHERE job = 'move' AND dimension = 'user' AND shard = 0 AND state = 'MOVED'"));
    }

    [Fact]
    public async Task AnApplicationFollowingAnEarlierVersionsImportIsToldWhyAndKeepsItsRouting()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var control = topology.Topology.Clusters[0].Primary;

        // An earlier version's import under way: its migration row (the table is the same today) and its buckets table, no units.
        await control.ExecuteAsync(
            $"""
            CREATE DATABASE shardkit_control;
            {ControlSchema.Statements.Single(s => s.Contains("`migration`", StringComparison.Ordinal))};
            INSERT INTO shardkit_control.migration (id, phase, state_version, source, source_schema, buckets, created_at, updated_at)
                VALUES (1, 'CUTOVER', 7, 'legacy:3306', 'legacy', {ShardMoveTopology.ShardCount}, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6));
            CREATE TABLE shardkit_control.buckets (bucket SMALLINT NOT NULL, state VARCHAR(16) NOT NULL, epoch INT NOT NULL DEFAULT 0, updated_at DATETIME(6) NOT NULL, PRIMARY KEY (bucket));
            INSERT INTO shardkit_control.buckets (bucket, state, updated_at) VALUES (0, 'MOVED', UTC_TIMESTAMP(6));
            """);

        await using var store = new MigratingOrderStore(
            topology.App, topology.Ids(workerId: 7), new MigratingOrderStoreOptions { PollInterval = TimeSpan.FromMinutes(1), WriterId = "old-import-probe" });
        var refused = await Assert.ThrowsAsync<ShardKitException>(() => store.RefreshAsync());
        Assert.Equal(ShardKitErrorCode.InvalidTopology, refused.ErrorCode);
        Assert.Contains("no `shardkit_control`.`units` table", refused.Message, StringComparison.Ordinal);
        Assert.Contains("started by an earlier ShardKit version", refused.Message, StringComparison.Ordinal);
        Assert.NotEqual(7, store.StateVersion);   // it did not acknowledge a state it could not read
    }

    private static void AssertOneLineWithoutStackTrace(string error)
    {
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await MoveShardCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }
}

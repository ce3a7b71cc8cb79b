using Dapper;
using ShardKit.Migrations.Migration.Moves;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>The mover dies at each step of a move (as <c>kill -9</c> would); a new mover resumes; the shard ends equal on its new cluster.</summary>
public sealed class ShardMoveCrashTests
{
    [Fact]
    public async Task AMoverKilledAtEveryStepResumesToTheSameEndState()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        var workload = new ShardMoveWorkload(topology, shard: 0);
        await workload.SeedAsync(notes: 60, orders: 15);
        var schema = topology.Mover.Map.GetRoute(ShardDimension.User, 0).Schema;
        string[] steps = ["start.target", "copy.chunk", "drain.applied", "cutover.frozen", "cutover.switched", "cutover.opened"];
        var from = "c0";
        for (var i = 0; i < steps.Length; i++)
        {
            var to = from == "c0" ? "c1" : "c0";
            var before = await topology.SnapshotAsync(from, schema);
            var crashed = false;
            var wroteDuringCopy = false;
            var mover = topology.NewMover(chunkSize: 20);
            mover.Step = async step =>
            {
                if (step == "copy.chunk" && !wroteDuringCopy)
                {
                    // A write during the copy, so there is something to drain.
                    wroteDuringCopy = true;
                    await WriteNoteAsync(topology, workload, 3000 + i);
                }

                if (step == steps[i] && !crashed)
                {
                    crashed = true;
                    throw new SimulatedCrashException(step);
                }
            };

            await Assert.ThrowsAsync<SimulatedCrashException>(() => mover.MoveAsync("user:0", to, command: null, progress: null, CancellationToken.None));

            // A write while the mover is dead: it lands on whichever side serves the shard (or waits for the fence to open).
            var during = WriteNoteAsync(topology, workload, 4000 + i);
            var resumed = await topology.NewMover(chunkSize: 20).ResumeAsync(null, progress: null, CancellationToken.None);
            await during;
            Assert.Equal([$"shard user:0: moved to '{to}' (epoch {i + 1})"], resumed);
            Assert.Empty(await workload.CheckAsync(to, schema));

            // Every table but the notes (the only one written) is equal row by row to the source before the move.
            var after = await topology.SnapshotAsync(to, schema);
            Assert.Equal(before.Keys.Order(), after.Keys.Order());
            foreach (var table in before.Keys.Where(t => t != "notes"))
            {
                Assert.Equal(before[table], after[table]);
            }

            await topology.NewMover().CompleteAsync("user:0", command: null, CancellationToken.None);
            await WaitForAsync(() => topology.App.Map.GetRoute(ShardDimension.User, 0).Cluster.Name == to);
            from = to;
        }
    }

    [Fact]
    public async Task ResumeClearsTheRecordOfAMoveThatDiedAfterItsSwitchWasRecorded()
    {
        await using var topology = await ShardMoveTopology.StartAsync();
        await new ShardMoveWorkload(topology, shard: 0).SeedAsync(notes: 10, orders: 3);

        // The engine records MOVED; the CLI clears the command after that, so a kill -9 in between leaves both.
        var moved = await topology.NewMover().MoveAsync("user:0", "c1", command: """["move","--to","c1"]""", progress: null, CancellationToken.None);
        Assert.True(moved.Switched, moved.Error);
        var interrupted = Assert.Single(await topology.NewMover().StatusAsync("user:0", CancellationToken.None));
        Assert.Equal(("MOVED", """["move","--to","c1"]"""), (interrupted.State, interrupted.InterruptedCommand));

        var resumed = await topology.NewMover().ResumeAsync(null, progress: null, CancellationToken.None);

        Assert.Equal([$"shard user:0: moved to 'c1' (epoch {moved.Epoch})"], resumed);
        var status = Assert.Single(await topology.NewMover().StatusAsync("user:0", CancellationToken.None));
        Assert.Equal(("MOVED", (string?)null), (status.State, status.InterruptedCommand));
        Assert.Empty(await topology.NewMover().ResumeAsync(null, progress: null, CancellationToken.None));
    }

    private static async Task WriteNoteAsync(ShardMoveTopology topology, ShardMoveWorkload workload, long id)
    {
        await topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, 0), (s, ct) => s.Connection.ExecuteAsync(
            s.Sql("INSERT INTO {schema}.`notes` (note_id, user_id, body, version) VALUES (@Id, 1, 'crash', 1)"), new { Id = id }));
        workload.Notes[id] = 1;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(50);
        }
    }
}

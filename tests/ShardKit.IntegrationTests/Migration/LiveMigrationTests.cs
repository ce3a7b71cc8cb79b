using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>The whole migration under random concurrent writers, checked against the recorded history on both sides.</summary>
public sealed class LiveMigrationTests(ITestOutputHelper output)
{
    [Fact]
    public async Task MovesTheMonolithToTheShardsUnderRandomWritersWithNothingLostDuplicatedOrResurrected()
    {
        await using var topology = await MigrationTopology.StartAsync(legacyOrders: 600);
        using var migrator = topology.NewMigrator();
        await migrator.PlanAsync(CancellationToken.None);

        await using var store = topology.NewStore(workerId: 1);
        var workload = new ShardKit.Migrations.Migration.MigrationWorkload(store, topology.Ids(2), MigrationTopology.Users, MigrationTopology.Merchants, topology.LegacyOrders);
        using var stop = new CancellationTokenSource();
        var traffic = workload.RunAsync(writers: 4, TimeSpan.FromMilliseconds(10), stop.Token);
        await Task.Delay(300);   // PLAN: writes on the source, not logged

        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {workload.Operations} ops, {workload.Errors} errors: pending = migrator.StartAsync");
        var pending = await migrator.StartAsync(CancellationToken.None);
        Assert.Empty(pending);
        Assert.True(store.StateVersion > 1);
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {workload.Operations} ops, {workload.Errors} errors: migrator.BackfillAsync");
        await migrator.BackfillAsync(progress: null, CancellationToken.None);
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {workload.Operations} ops, {workload.Errors} errors: verified = await");
        var verified = await migrator.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        Assert.Equal(MigrationTopology.ShardCount, verified.Count);   // under live writes a bucket may differ by the writes in flight; the cutover verifies it frozen
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {workload.Operations} ops, {workload.Errors} errors: cutover = await");
        var cutover = await migrator.CutoverAsync(buckets: null, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.All(cutover, c => Assert.True(c.Switched, c.Error));
        await Task.Delay(500);   // writes now go to the shards
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {workload.Operations} ops, {workload.Errors} errors: stop.CancelAsync");
        await stop.CancelAsync();
        await traffic;

        Assert.True(workload.Operations > 200, $"only {workload.Operations} operations ran");
        Assert.True(workload.Errors == 0, string.Join("\n", workload.ErrorSamples));
        Assert.Equal(0, workload.StaleReads);

        // Every acknowledged write is on the shards (user side) and nothing deleted came back.
        var problems = await workload.CheckAsync(topology.ReadTargetAsync);
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(10)));

        // Both sides equal row by row for every bucket, and the merchant dimension equals the user dimension.
        var status = await migrator.StatusAsync(CancellationToken.None);
        Assert.All(status.Buckets, b => Assert.Equal("MOVED", b.State));
        var final = await migrator.VerifyAsync(repair: false, buckets: null, progress: null, CancellationToken.None);
        Assert.All(final, r => Assert.True(r.Equal, $"bucket {r.Bucket}: source {r.SourceCount} {r.SourceChecksum}, target {r.TargetCount} {r.TargetChecksum}"));
        var dimensions = await new DimensionVerifier(topology.Shards).VerifyAsync();
        Assert.True(dimensions.Equal, $"{dimensions.Remaining} merchant copies differ");

        // Each order is in exactly one user shard and one merchant shard; every legacy order arrived once.
        var userRows = final.Sum(r => r.TargetCount);
        Assert.Equal(final.Sum(r => r.SourceCount), userRows);
        Assert.Equal(userRows, dimensions.Shards.Sum(s => s.MerchantCount));

        // A legacy ID still finds its order after cutover.
        var legacy = await store.FindByLegacyIdAsync(7);
        Assert.NotNull(legacy);
        Assert.NotNull(await topology.ReadTargetAsync(legacy.Id));

        // The pause per bucket was measured (its figures are the migration load tool's: benchmarks, not a timed test).
        Assert.All(status.Buckets, b => Assert.True(b.PauseMs is >= 0, $"bucket {b.Bucket} recorded no pause"));
    }
}

using System.Text.Json;
using ShardKit.IntegrationTests.Orders;
using ShardKit.Migrations.Commands;

namespace ShardKit.IntegrationTests.AlternateKeys;

/// <summary><c>shardkit verify dimensions</c> and <c>shardkit verify mappings</c> on shards set up by <c>shardkit schema apply</c> alone.</summary>
public sealed class VerifyCommandsAfterSchemaApplyTests(SchemaOnlyTopologyFixture fixture) : IClassFixture<SchemaOnlyTopologyFixture>, IAsyncLifetime
{
    private const int Shards = SchemaOnlyTopologyFixture.ShardCount;
    private ShardKitDataSource _shards = null!;
    private AlternateKeyStore _keys = null!;
    private TwoDimensionOrderStore _orders = null!;

    public Task InitializeAsync()
    {
        _shards = new ShardKitDataSourceBuilder(fixture.Section).Build();
        _keys = new AlternateKeyStore(_shards);
        _orders = new TwoDimensionOrderStore(_shards, alternateKeys: _keys);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _orders.Dispose();
        _keys.Dispose();
        await _shards.DisposeAsync();
    }

    [Fact]
    public async Task VerifyDimensionsWorksOnShardsSetUpOnlyBySchemaApply()
    {
        Assert.Matches(@"script [0-9a-f]{12}: 16 applied, 0 already done, 0 failed", fixture.SchemaApplyOutput);
        var factory = new OrderFactory(workerId: 65, Shards);
        var first = await _orders.CreateAsync(factory.New(1001, 2001));
        var second = await _orders.CreateAsync(factory.New(1002, 2002), [new AlternateKey("trade-no", "dims-1")]);
        await _orders.UpdateAsync(OrderFactory.Changed(first, "paid", items: 1));
        await _orders.DeleteAsync(second.Id);

        var (exitCode, output, error) = await SchemaOnlyTopologyFixture.RunAsync(VerifyCommand.Create(), "dimensions", "--config", fixture.ConfigPath);

        Assert.Equal("", error);
        Assert.Equal(0, exitCode);
        Assert.Contains("0 difference(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyMappingsFindsDanglingMissingAndConflictingKeysAndRepairRemovesAndRecreates()
    {
        var factory = new OrderFactory(workerId: 66, Shards);
        var order = await _orders.CreateAsync(factory.New(1101, 2101), [new AlternateKey("trade-no", "v-missing"), new AlternateKey("payment-no", "v-kept")]);
        var target = new AlternateKeyTarget(order.UserId, order.Id);
        await _keys.ReleaseAsync(new AlternateKey("trade-no", "v-missing"));
        await using (var past = new ShardKitDataSourceBuilder(fixture.Section).UseTimeProvider(new ShiftedClock(TimeSpan.FromHours(-1))).Build())
        {
            using var oldKeys = new AlternateKeyStore(past);
            await oldKeys.ClaimAsync(new AlternateKey("trade-no", "v-dangling"), new AlternateKeyTarget(1102, factory.New(1102, 2102).Id));
        }

        var young = new AlternateKey("trade-no", "v-in-flight");
        await _keys.ClaimAsync(young, new AlternateKeyTarget(1103, factory.New(1103, 2103).Id));

        var (checkExit, checkOutput, _) = await SchemaOnlyTopologyFixture.RunAsync(VerifyCommand.Create(), "mappings", "--config", fixture.ConfigPath);
        var (repairExit, repairOutput, repairError) = await SchemaOnlyTopologyFixture.RunAsync(VerifyCommand.Create(), "mappings", "--config", fixture.ConfigPath, "--repair", "--json");
        var (againExit, againOutput, _) = await SchemaOnlyTopologyFixture.RunAsync(VerifyCommand.Create(), "mappings", "--config", fixture.ConfigPath);

        Assert.Equal(1, checkExit);
        Assert.Contains("trade-no:v-missing: Missing, declared by " + target, checkOutput, StringComparison.Ordinal);
        Assert.Contains("trade-no:v-dangling: Dangling, names user 1102", checkOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("v-in-flight", checkOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("v-kept", checkOutput, StringComparison.Ordinal);
        Assert.Contains("2 problem(s)", checkOutput, StringComparison.Ordinal);

        Assert.Equal("", repairError);
        Assert.Equal(0, repairExit);
        using (var json = JsonDocument.Parse(repairOutput))
        {
            Assert.True(json.RootElement.GetProperty("consistent").GetBoolean());
            Assert.Equal(2, json.RootElement.GetProperty("repaired").GetInt32());
            Assert.Equal(
                ["Dangling v-dangling", "Missing v-missing"],
                json.RootElement.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("problem").GetString() + " " + p.GetProperty("value").GetString()).ToArray());
        }

        Assert.Equal(0, againExit);
        Assert.Contains("0 problem(s)", againOutput, StringComparison.Ordinal);
        Assert.Equal(target, (await _keys.LookupAsync(new AlternateKey("trade-no", "v-missing")))!.Target);
        Assert.Null(await _keys.LookupAsync(new AlternateKey("trade-no", "v-dangling")));
        Assert.NotNull(await _keys.LookupAsync(young));

        // A key re-pointed to another live target is reported, never overwritten.
        var conflicted = new AlternateKey("payment-no", "v-kept");
        await _keys.ReleaseAsync(conflicted);
        await _keys.ClaimAsync(conflicted, new AlternateKeyTarget(1104));
        var (conflictExit, conflictOutput, _) = await SchemaOnlyTopologyFixture.RunAsync(VerifyCommand.Create(), "mappings", "--config", fixture.ConfigPath, "--repair");
        await _keys.ReleaseAsync(conflicted);
        await _keys.ClaimAsync(conflicted, target);

        Assert.Equal(1, conflictExit);
        Assert.Contains($"payment-no:v-kept: Conflicting, declared by {target}, mapped to user 1104", conflictOutput, StringComparison.Ordinal);
        Assert.Contains("1 problem(s), 0 repaired, 1 remaining", conflictOutput, StringComparison.Ordinal);
    }
}

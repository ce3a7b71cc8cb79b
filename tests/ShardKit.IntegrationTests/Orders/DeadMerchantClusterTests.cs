using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using ShardKit.Testing;
using Xunit.Abstractions;

namespace ShardKit.IntegrationTests.Orders;

/// <summary>
/// A dead cluster must cost the healthy ones nothing: two clusters that each hold half of the user shards and half of
/// the merchant shards, so half of the creates of a user on c0 have their merchant copy on c1. With c1's primary killed,
/// those creates must keep their throughput (the copy is left to the outbox and the relay), and the relay catches up
/// once c1 is back. A topology of its own: the test kills a server. The phases are timed, so the class runs alone
/// (<see cref="TimedCollection"/>): other test classes do not share the machine with its measurements.
/// </summary>
[Collection(TimedCollection.Name)]
public sealed class DeadMerchantClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int ShardCount = 8;
    private const int Workers = 8;
    private static readonly TimeSpan s_phase = TimeSpan.FromSeconds(6);
    private MariaDbTopology _topology = null!;
    private ShardKitDataSource _shards = null!;

    public async Task InitializeAsync()
    {
        _topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Tls = false });
        var json = JsonNode.Parse(_topology.ToConfigurationJson())!;
        json["ShardKit"]!["Dimensions"] = new JsonObject { ["User"] = HalfAndHalf(), ["Merchant"] = HalfAndHalf() };
        var path = Path.Combine(_topology.Directory, "half-and-half.json");
        await File.WriteAllTextAsync(path, json.ToJsonString());
        _shards = new ShardKitDataSourceBuilder(new ConfigurationBuilder().AddJsonFile(path).Build().GetSection("ShardKit")).Build();
        using var store = new TwoDimensionOrderStore(_shards);
        await store.EnsureSchemaAsync();
    }

    public async Task DisposeAsync()
    {
        await _shards.DisposeAsync();
        await _topology.DisposeAsync();
    }

    [Fact]
    public Task CreatesOnTheHealthyClusterKeepTheirThroughputWhileTheOtherClustersPrimaryIsDeadAndTheRelayCatchesUpAfterwards() =>
        MeasureAsync(
            fail: () => _topology.Clusters[1].Primary.KillAsync(),
            recover: () => _topology.Clusters[1].Primary.StartAsync());

    /// <summary>
    /// The same with a primary that hangs instead of refusing (SIGSTOP: connections are accepted by the kernel and never
    /// answered, as on a frozen host or a partition): nothing fails fast, so only a time budget on the inline copy keeps
    /// the caller from waiting out connect and command timeouts.
    /// </summary>
    [Fact]
    public Task CreatesOnTheHealthyClusterKeepTheirThroughputWhileTheOtherClustersPrimaryHangs()
    {
        var pid = _topology.Clusters[1].Primary.ProcessId ?? throw new InvalidOperationException("c1's primary is not running.");
        return MeasureAsync(fail: () => SignalAsync(pid, "STOP"), recover: () => SignalAsync(pid, "CONT"));
    }

    private async Task MeasureAsync(Func<Task> fail, Func<Task> recover)
    {
        using var store = new TwoDimensionOrderStore(_shards);
        var factory = new OrderFactory(workerId: 31, ShardCount);
        var map = _shards.Map;
        var users = Enumerable.Range(91_000_000, 4000).Select(u => (long)u).Where(u => map.RouteUser(u).Cluster.Name == "c0").ToArray();
        var merchants = Enumerable.Range(92_000_000, 64).Select(m => (long)m).ToArray();
        Assert.Contains(merchants, m => map.RouteMerchant(m).Cluster.Name == "c1");
        Assert.Contains(merchants, m => map.RouteMerchant(m).Cluster.Name == "c0");

        var phase = 0;
        var created = new long[3];
        var failures = new long[3];
        var copiesToC1 = new long[3];
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                var merchantId = merchants[random.Next(merchants.Length)];
                var order = factory.New(users[random.Next(users.Length)], merchantId, items: 1 + random.Next(3));
                var current = Volatile.Read(ref phase);
                try
                {
                    await store.CreateAsync(order);
                    Interlocked.Increment(ref created[current]);
                    if (map.RouteMerchant(merchantId).Cluster.Name == "c1")
                    {
                        Interlocked.Increment(ref copiesToC1[current]);
                    }
                }
                catch (Exception ex) when (ex is ShardKitException or System.Data.Common.DbException)
                {
                    Interlocked.Increment(ref failures[current]);
                }
            }
        })).ToArray();

        // Phase 0 warms the pools up; phase 1 is the healthy cluster pair; phase 2 starts the moment c1's primary is killed.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var healthy = Stopwatch.StartNew();
        Volatile.Write(ref phase, 1);
        await Task.Delay(s_phase);
        await fail();
        var healthyElapsed = healthy.Elapsed;
        var dead = Stopwatch.StartNew();
        Volatile.Write(ref phase, 2);
        await Task.Delay(s_phase);
        var deadElapsed = dead.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var before = created[1] / healthyElapsed.TotalSeconds;
        var after = created[2] / deadElapsed.TotalSeconds;
        output.WriteLine($"healthy: {created[1]} creates in {healthyElapsed.TotalSeconds:0.00} s ({before:0} /s, {copiesToC1[1]} copies to c1); " +
            $"c1 dead: {created[2]} creates in {deadElapsed.TotalSeconds:0.00} s ({after:0} /s, {copiesToC1[2]} copies to c1); ratio {after / before:0.00}; failures {failures[1]}/{failures[2]}");
        Assert.True(created[1] >= 50, $"too few creates in the healthy phase to compare: {created[1]}");
        Assert.Equal(0, failures[1] + failures[2]);
        Assert.True(copiesToC1[2] > 0, "no create of the dead phase had its merchant copy on c1");
        Assert.True(after >= 0.8 * before, $"creates on the healthy cluster fell to {after / before:P0} of their throughput while c1 was dead ({before:0} /s before, {after:0} /s after)");

        // Nothing is lost: once c1 is back the relay applies every copy that was left to it.
        await recover();
        var relay = new OutboxRelay(store, new OutboxRelayOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10), RetryMaxDelay = TimeSpan.FromMilliseconds(200) });
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            await relay.DrainAsync();
            var lag = await store.GetLagAsync();
            if (lag.Pending == 0 && !lag.Incomplete)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the relay did not drain: {lag.Pending} entries pending");
            await Task.Delay(200);
        }

        Assert.True((await new DimensionVerifier(_shards).VerifyAsync()).Equal);
    }

    private static async Task SignalAsync(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    private static JsonObject HalfAndHalf() => new()
    {
        ["ShardCount"] = ShardCount,
        ["Placement"] = new JsonArray(
            new JsonObject { ["Shards"] = $"0-{(ShardCount / 2) - 1}", ["Cluster"] = "c0" },
            new JsonObject { ["Shards"] = $"{ShardCount / 2}-{ShardCount - 1}", ["Cluster"] = "c1" }),
    };
}

/// <summary>Test classes that measure time: never run side by side with other classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimedCollection
{
    public const string Name = "Timed";
}

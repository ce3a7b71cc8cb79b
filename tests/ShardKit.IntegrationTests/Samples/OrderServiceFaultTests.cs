using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using OrderService;

namespace ShardKit.IntegrationTests.Samples;

/// <summary>The sample's health endpoint, and what a client sees when a shard's primary freezes.</summary>
[Collection("Topology")]
public sealed class OrderServiceFaultTests(TopologyFixture fixture)
{
    [Fact]
    public async Task HealthReportsEveryClusterHealthy()
    {
        await using var host = await OrderServiceHost.StartAsync(fixture);

        using var response = await host.Client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AClientReadsItsOwnWriteWithTheTokenWhileTheReplicaLagsAndAMalformedTokenIsRejected()
    {
        await using var host = await OrderServiceHost.StartAsync(fixture);
        var userId = 710_000_000 + Random.Shared.Next(1_000_000);
        var cluster = host.Shards.Map.RouteUser(userId).Cluster.Name;
        var replica = fixture.Topology.Clusters.Single(c => c.Name == cluster).Replicas[0];
        await replica.PauseReplicationAsync();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                using var created = await host.Client.PostAsJsonAsync("/orders", new CreateOrderRequest(userId, 21, [new("SKU-T", 1, 2m)]));
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var token = CausalToken.Parse(Assert.Single(created.Headers.GetValues(OrderEndpoints.CausalTokenHeader)));
                Assert.Equal(cluster, token.Cluster);
                var orderId = (await created.Content.ReadFromJsonAsync<CreateOrderResponse>())!.OrderId;

                // The host's client sends the token back: the read is never stale, however far the replica is behind.
                using var read = await host.Client.GetAsync($"/orders/{orderId}");
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            }
        }
        finally
        {
            await replica.ResumeReplicationAsync();
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/orders/1");
        request.Headers.Add(OrderEndpoints.CausalTokenHeader, "not-a-token");
        using var malformed = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains(OrderEndpoints.CausalTokenHeader, await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFrozenPrimaryAnswers503WithRetryAfterWithinTheTimeoutsInsteadOf500()
    {
        await using var host = await OrderServiceHost.StartAsync(fixture, ("ShardKit:Resilience:CommandTimeout", "00:00:01"));
        var userId = 700_000_000 + Random.Shared.Next(1_000_000);
        using (var created = await host.Client.PostAsJsonAsync("/orders", new CreateOrderRequest(userId, 11, [new("SKU-F", 1, 2m)])))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var cluster = host.Shards.Map.RouteUser(userId).Cluster.Name;
        var primary = fixture.Topology.Clusters.Single(c => c.Name == cluster).Primary;
        var pid = primary.ProcessId ?? throw new InvalidOperationException($"{primary.Name} is not running");
        Signal("STOP", pid);
        try
        {
            // A write needs the user shard's primary: it times out (a pooled session) or cannot connect (a new one).
            var clock = Stopwatch.StartNew();
            using var response = await host.Client.PostAsJsonAsync("/orders", new CreateOrderRequest(userId, 12, [new("SKU-G", 1, 2m)]));
            var body = await response.Content.ReadAsStringAsync();

            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode} after {clock.Elapsed} with {primary.Name} (pid {pid}) frozen: {body}");
            Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(6));
            Assert.DoesNotContain(fixture.Topology.Password, body, StringComparison.Ordinal);
        }
        finally
        {
            Signal("CONT", pid);
        }

        // Once the primary runs again, so does the service (the breaker lets a trial through after its break).
        var deadline = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var again = await host.Client.PostAsJsonAsync("/orders", new CreateOrderRequest(userId, 13, [new("SKU-H", 1, 2m)]));
            status = again.StatusCode;
        }
        while (status != HttpStatusCode.Created && deadline.Elapsed < TimeSpan.FromSeconds(30) && await Delay());

        Assert.Equal(HttpStatusCode.Created, status);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(200);
        return true;
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}

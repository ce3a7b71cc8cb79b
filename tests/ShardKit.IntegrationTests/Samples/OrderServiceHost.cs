using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrderService;

namespace ShardKit.IntegrationTests.Samples;

/// <summary>The OrderService sample on 127.0.0.1 (a free port), on the fixture's topology with the order schema applied.</summary>
public sealed class OrderServiceHost : IAsyncDisposable
{
    // Every host gets its own worker ID, so that two generators of one test run never issue the same order ID.
    private static int s_nextWorkerId = 100;
    private readonly WebApplication _app;

    private OrderServiceHost(WebApplication app, int workerId)
    {
        _app = app;
        WorkerId = workerId;
        Shards = app.Services.GetRequiredService<ShardKitDataSource>();
        Client = new HttpClient(new CausalTokenHandler { InnerHandler = new HttpClientHandler() }) { BaseAddress = new Uri(app.Urls.First()) };
    }

    public HttpClient Client { get; }

    public ShardKitDataSource Shards { get; }

    public int WorkerId { get; }

    public static async Task<OrderServiceHost> StartAsync(TopologyFixture fixture, params (string Key, string? Value)[] overrides)
    {
        var workerId = Interlocked.Increment(ref s_nextWorkerId);
        var configuration = fixture.ConfigurationFor(
            [("ShardKit:OrderIds:WorkerId", workerId.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("Telemetry:Exporter", "none"), .. overrides]);
        var app = OrderServiceApp.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddConfiguration(configuration);
            builder.Logging.ClearProviders();
        });
        try
        {
            var schema = await new SchemaApplier(app.Services.GetRequiredService<ShardKitDataSource>()).ApplyAsync();
            Assert.True(schema.Succeeded, "the order schema could not be applied");
            await app.StartAsync();
            return new OrderServiceHost(app, workerId);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// A client session that reads its own writes: it keeps the causal token of its last write (the
    /// <see cref="OrderEndpoints.CausalTokenHeader"/> response header) and sends it with every later request.
    /// </summary>
    private sealed class CausalTokenHandler : DelegatingHandler
    {
        private string? _token;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _token) is { } token && !request.Headers.Contains(OrderEndpoints.CausalTokenHeader))
            {
                request.Headers.Add(OrderEndpoints.CausalTokenHeader, token);
            }

            var response = await base.SendAsync(request, cancellationToken);
            if (response.Headers.TryGetValues(OrderEndpoints.CausalTokenHeader, out var values))
            {
                Volatile.Write(ref _token, values.First());
            }

            return response;
        }
    }
}

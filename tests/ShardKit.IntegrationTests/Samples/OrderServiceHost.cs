using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrderService;
using OrderService.Storage;

namespace ShardKit.IntegrationTests.Samples;

/// <summary>
/// The OrderService sample on 127.0.0.1 (a free port), on the fixture's topology with the sample's own tables (declared in
/// its appsettings.json, created by its sql/user.sql and sql/merchant.sql) and ShardKit's own tables applied.
/// </summary>
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
            var shards = app.Services.GetRequiredService<ShardKitDataSource>();
            Assert.Equal(ShopTables.Orders, shards.Map.Tables.Root.Name);
            await ApplySchemaAsync(shards);
            await app.StartAsync();
            return new OrderServiceHost(app, workerId);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// What the sample's set-up runs (README): <c>shardkit schema apply</c> (ShardKit's own tables, as the model is declared),
    /// then <c>shardkit schema apply --sql sql/user.sql --dimension user</c> and the same for merchant. Each is recorded per
    /// shard, so a later host finds nothing to do.
    /// </summary>
    private static async Task ApplySchemaAsync(ShardKitDataSource shards)
    {
        var applier = new SchemaApplier(shards);
        var own = await applier.ApplyAsync(new SchemaApplyOptions { Parallelism = 8 });
        Assert.True(own.Succeeded, "ShardKit's own tables could not be applied: " + own.Shards.FirstOrDefault(s => s.Error is not null)?.Error);
        foreach (var (dimension, name) in new[] { (ShardDimension.User, "user"), (ShardDimension.Merchant, "merchant") })
        {
            var script = await File.ReadAllTextAsync(ShopTables.ScriptPath(name));
            var result = await applier.ApplyAsync(new SchemaApplyOptions { Script = script, Dimensions = [dimension], Parallelism = 8 });
            Assert.True(result.Succeeded, $"sql/{name}.sql could not be applied: " + result.Shards.FirstOrDefault(s => s.Error is not null)?.Error);
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

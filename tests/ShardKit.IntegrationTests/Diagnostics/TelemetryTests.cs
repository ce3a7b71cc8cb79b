using System.Diagnostics;
using Dapper;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace ShardKit.IntegrationTests.Diagnostics;

/// <summary>
/// ShardKit's and MySqlConnector's telemetry together, as an OpenTelemetry user receives it: a routed read is a ShardKit
/// span with the driver's command span as its child, both meters reach the MeterProvider, and no tag, metric point, log line
/// or exception message carries a password.
/// </summary>
[Collection("Topology")]
public sealed class TelemetryTests(TopologyFixture fixture)
{
    [Fact]
    public async Task ARoutedReadIsAShardKitSpanWithTheDriversSpanAsItsChildAndBothMetersReachOpenTelemetry()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        // The providers listen process-wide (tests of other collections run meanwhile): they are disposed before the lists are read.
        var tracing = Sdk.CreateTracerProviderBuilder().AddSource("ShardKit", "MySqlConnector").AddInMemoryExporter(spans).Build();
        var meters = Sdk.CreateMeterProviderBuilder().AddMeter("ShardKit", "MySqlConnector").AddInMemoryExporter(metrics).Build();
        var logs = new ListLoggerProvider();
        string readShard;
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));

        await using (var shards = new ShardKitDataSourceBuilder(fixture.ConfigurationFor().GetSection("ShardKit"))
            .UseLoggerFactory(loggerFactory)
            .ConfigureDataSource(driver => driver.UseLoggerFactory(loggerFactory))
            .Build())
        {
            var route = shards.Map.RouteUser(42);
            readShard = $"user:{route.Shard}";
            var answer = await shards.ReadAsync(route, (shard, ct) => shard.Connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT 41 + 1", cancellationToken: ct)));
            Assert.Equal(42, answer);

            // A failing command and a refused login leave telemetry and logs too; none of it may carry a password.
            await Assert.ThrowsAnyAsync<Exception>(() => shards.ReadAsync(route, (shard, ct) => shard.Connection.ExecuteAsync("SELECT * FROM no_such_table")));
        }

        const string wrongPassword = "n0t-The-Pa55word";
        await using (var wrong = new ShardKitDataSourceBuilder(fixture.ConfigurationFor(
                ("ShardKit:Clusters:0:Primary", $"Server=127.0.0.1;Port={fixture.Topology.Clusters[0].Primary.Port};User ID={fixture.Topology.User};Password={wrongPassword}")).GetSection("ShardKit"))
            .UseLoggerFactory(loggerFactory)
            .ConfigureDataSource(driver => driver.UseLoggerFactory(loggerFactory))
            .Build())
        {
            var ex = await Assert.ThrowsAsync<ShardKitException>(async () => await wrong.OpenAsync(wrong.Map.GetRoute(ShardDimension.User, 0), ShardIntent.Write));
            Assert.Equal(ShardKitErrorCode.AccessDenied, ex.ErrorCode);
            Assert.DoesNotContain(wrongPassword, ex.ToString(), StringComparison.Ordinal);
        }

        tracing.ForceFlush();
        meters.ForceFlush();
        tracing.Dispose();
        meters.Dispose();
        var captured = spans.ToArray();

        var command = Assert.Single(captured, s => s.Source.Name == "MySqlConnector" && s.TagObjects.Any(t => $"{t.Value}".Contains("41 + 1", StringComparison.Ordinal)));
        var parent = Assert.Single(captured, s => s.SpanId == command.ParentSpanId);
        Assert.Equal("ShardKit", parent.Source.Name);
        Assert.Equal("shardkit.connection", parent.OperationName);
        Assert.Equal(readShard, $"{parent.GetTagItem("shardkit.shard")}");
        Assert.Contains(metrics, m => m.MeterName == "ShardKit");
        Assert.Contains(metrics, m => m.MeterName == "MySqlConnector");

        foreach (var secret in new[] { fixture.Topology.Password, wrongPassword })
        {
            foreach (var span in captured)
            {
                Assert.DoesNotContain(span.TagObjects, t => $"{t.Key}={t.Value}".Contains(secret, StringComparison.Ordinal));
                Assert.DoesNotContain(span.Events, e => e.Tags.Any(t => $"{t.Value}".Contains(secret, StringComparison.Ordinal)));
            }

            foreach (var metric in metrics)
            {
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    foreach (var tag in point.Tags)
                    {
                        Assert.DoesNotContain(secret, $"{tag.Key}={tag.Value}", StringComparison.Ordinal);
                    }
                }
            }

            Assert.DoesNotContain(logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        }

        Assert.NotEmpty(logs.Lines);
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(ListLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._lines)
                {
                    owner._lines.Add($"{category} {formatter(state, exception)} {exception}");
                }
            }
        }
    }
}

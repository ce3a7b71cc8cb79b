using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ShardKit.Diagnostics;

namespace ShardKit.Tests.Fakes;

/// <summary>
/// The data source's collaborators wired as the data source wires them, on the fake provider and a manual clock, for
/// testing each one directly: the endpoint pools, the ambient context, the endpoint connector, the topology monitor
/// and the replica router.
/// </summary>
internal sealed class Collaborators : IDisposable
{
    public Collaborators(ShardKitOptions options, IOptionsMonitor<ShardKitOptions>? monitor = null, FakeServer? server = null, ILogger? logger = null)
    {
        Provider = new FakeProviderFactory(server ?? new FakeServer());
        Logger = logger ?? NullLogger.Instance;
        Pools = new EndpointPools(Provider.CreateDataSource, applyDriverDefaults: false, Time, Logger);
        Ambient = new AmbientContext(Logger);
        Metrics = new RoutingMetrics(Pools.Snapshot);
        Connector = new EndpointConnector(Pools, Ambient, Metrics, Logger, Time);
        Topology = new TopologyMonitor(monitor is null ? options : null, monitor, ownedMonitor: null, Pools, Connector, Logger, Time);
        Replicas = new ReplicaRouter(Pools, Connector, Ambient, Metrics, Logger);
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch);

    public FakeProviderFactory Provider { get; }

    public FakeServer Server => Provider.Server;

    public ILogger Logger { get; }

    public EndpointPools Pools { get; }

    public AmbientContext Ambient { get; }

    public RoutingMetrics Metrics { get; }

    public EndpointConnector Connector { get; }

    public TopologyMonitor Topology { get; }

    public ReplicaRouter Replicas { get; }

    public RoutingState State => Topology.State;

    public ShardSlot UserSlot(long userId) => State.Map.RouteUser(userId).Slot;

    public void Dispose()
    {
        Topology.Dispose();
        Metrics.Dispose();
        foreach (var pool in Pools.Close())
        {
            pool.Dispose();
        }
    }
}

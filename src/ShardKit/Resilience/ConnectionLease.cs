using System.Diagnostics;

namespace ShardKit.Resilience;

/// <summary>What a routed connection holds on its endpoint until it is disposed: a gate slot, its start time and its span.</summary>
internal readonly record struct ConnectionLease(EndpointState Endpoint, ConcurrencyGate Gate, long Started, Activity? Activity);

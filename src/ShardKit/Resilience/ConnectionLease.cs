using System.Diagnostics;

namespace ShardKit.Resilience;

/// <summary>
/// What a routed connection holds on its endpoint until it is disposed: a gate slot, its start time and its span, and the
/// connector that took them (and gives them back, <see cref="EndpointConnector.Release"/>).
/// </summary>
internal readonly record struct ConnectionLease(EndpointConnector Connector, EndpointState Endpoint, ConcurrencyGate Gate, long Started, Activity? Activity);

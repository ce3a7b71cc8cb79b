using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ShardKit.Resilience;

/// <summary>
/// Opens connections on one endpoint at a time, through its guard: the circuit breaker refuses at once while open, the
/// concurrency gate limits and queues callers (and sheds non-essential ones first), and every open has the connect
/// timeout. Each routed open is a span and, when it fails, an error in the metrics; its duration is recorded when the
/// connection is given back (<see cref="Release"/>).
/// </summary>
internal sealed class EndpointConnector
{
    private readonly EndpointPools _pools;
    private readonly AmbientContext _ambient;
    private readonly RoutingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    /// <param name="pools">The endpoint table (for cluster and legacy connections).</param>
    /// <param name="ambient">The per-flow context the routed connections use for their transactions and causal tokens.</param>
    /// <param name="metrics">Records failed opens and connection durations.</param>
    /// <param name="logger">Logs failed opens and breaker transitions.</param>
    /// <param name="timeProvider">The clock of connect timeouts and durations.</param>
    public EndpointConnector(EndpointPools pools, AmbientContext ambient, RoutingMetrics metrics, ILogger logger, TimeProvider timeProvider)
    {
        _pools = pools;
        _ambient = ambient;
        _metrics = metrics;
        _logger = logger;
        _timeProvider = timeProvider;
    }

    /// <summary>Opens a connection to a cluster's primary, outside any shard (for cluster-wide bookkeeping), within the connect timeout.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/> when it cannot be opened.</exception>
    public async ValueTask<DbConnection> OpenClusterAsync(ShardCluster cluster, CancellationToken cancellationToken)
    {
        var primary = _pools.Get(cluster.Primary, cluster.Name, isReplica: false);
        try
        {
            return await OpenWithTimeoutAsync(primary, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or TimeoutException)
        {
            throw new ShardKitException(
                ShardKitErrorCode.ShardUnavailable,
                $"Could not open a connection to cluster '{cluster.Name}' ({cluster.Primary.Address}): {ex.Message}",
                ex);
        }
    }

    /// <summary>Opens a connection to the legacy database's server (<see cref="ShardMap.Legacy"/>), from a pool of its own.</summary>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.InvalidTopology"/>: no legacy endpoint (with a database) is configured;
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/>: the server cannot be reached.
    /// </exception>
    public async ValueTask<DbConnection> OpenLegacyAsync(ShardEndpoint? legacy, CancellationToken cancellationToken)
    {
        if (legacy is null)
        {
            throw new ShardKitException(
                ShardKitErrorCode.InvalidTopology,
                "No legacy database is configured (ShardKit:Legacy): the online migration needs its connection string.");
        }

        var pool = _pools.Get(legacy, "legacy", isReplica: false).Pool;
        try
        {
            return await pool.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            throw new ShardKitException(
                ShardKitErrorCode.ShardUnavailable,
                $"Could not open a connection to the legacy database ({legacy.Address}): {ex.Message}",
                ex)
            {
                Shard = "legacy",
            };
        }
    }

    /// <summary>Opens a connection to legacy replica <paramref name="index"/>, from a pool of its own, within the connect timeout.</summary>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: the replica cannot be reached.</exception>
    public async ValueTask<DbConnection> OpenLegacyReplicaAsync(ShardEndpoint replica, int index, CancellationToken cancellationToken)
    {
        var endpoint = _pools.Get(replica, "legacy", isReplica: true);
        try
        {
            return await OpenWithTimeoutAsync(endpoint, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or TimeoutException)
        {
            throw new ShardKitException(
                ShardKitErrorCode.ShardUnavailable,
                string.Create(CultureInfo.InvariantCulture, $"Could not open a connection to legacy replica #{index} ({replica.Address}): {ex.Message}"),
                ex)
            {
                Shard = "legacy",
            };
        }
    }

    /// <summary>
    /// Opens a routed connection on <paramref name="endpoint"/>: refused at once when its breaker is open, rejected with
    /// <see cref="ShardKitErrorCode.Overloaded"/> when its concurrency limit and queue are full, and failed with
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when it cannot be opened within the connect timeout.
    /// </summary>
    public async ValueTask<ShardConnection> OpenAsync(
        ShardSlot slot, EndpointState endpoint, ShardIntent intent, bool nonEssential, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        var guard = endpoint.Guard;
        if (!guard.Breaker.TryAcquire(out var isTrial))
        {
            throw OpenFailed(
                slot,
                endpoint,
                ShardKitErrorCode.ShardUnavailable,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Shard {slot.Name} is unavailable: the circuit breaker of {endpoint.Endpoint.Address} (cluster '{endpoint.Cluster}') is open after {guard.BreakAfterFailures} consecutive failed opens; it lets a trial through in {guard.Breaker.RemainingBreak.TotalMilliseconds:0} ms."),
                inner: null);
        }

        var activity = StartActivity(slot, endpoint);
        using var timeout = new CancellationTokenSource(guard.ConnectTimeout, _timeProvider);
        using var link = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timeout)
            : default;
        bool entered;
        try
        {
            entered = await guard.Gate.TryEnterAsync(nonEssential, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            guard.Breaker.OnAbandoned(isTrial);
            throw OpenFailed(
                slot,
                endpoint,
                ShardKitErrorCode.Overloaded,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Shard {slot.Name}: endpoint {endpoint.Endpoint.Address} is overloaded; no connection slot of {guard.Gate.Limit} became free within {guard.ConnectTimeout.TotalMilliseconds:0} ms."),
                inner: null,
                activity);
        }
        catch
        {
            guard.Breaker.OnAbandoned(isTrial);
            activity?.Dispose();
            throw;
        }

        if (!entered)
        {
            guard.Breaker.OnAbandoned(isTrial);
            var message = nonEssential
                ? $"Shard {slot.Name}: endpoint {endpoint.Endpoint.Address} is busy; a non-essential call may use {guard.Gate.NonEssentialLimit} of its {guard.Gate.Limit} connection slots and they are taken. The call was shed without being sent."
                : $"Shard {slot.Name}: endpoint {endpoint.Endpoint.Address} is overloaded; its {guard.Gate.Limit} connection slots are taken and {guard.Gate.QueueLimit} callers are already queued. The call was rejected without being sent.";
            throw OpenFailed(slot, endpoint, ShardKitErrorCode.Overloaded, message, inner: null, activity);
        }

        DbConnection connection;
        try
        {
            connection = await endpoint.Pool.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            guard.Gate.Release();
            if (guard.Breaker.OnFailure())
            {
                Log.BreakerOpened(_logger, endpoint.Endpoint.Address, endpoint.Cluster, guard.BreakAfterFailures, guard.BreakDuration);
            }

            Log.ShardOpenFailed(_logger, ex, slot.Name, endpoint.Endpoint.Address);
            var reason = ex is OperationCanceledException
                ? string.Create(CultureInfo.InvariantCulture, $"no connection within the connect timeout of {guard.ConnectTimeout.TotalMilliseconds:0} ms")
                : ex.Message;
            var role = endpoint.IsReplica ? "replica" : "primary";
            var denied = ShardKitErrors.IsAccessDenied(ex);
            throw OpenFailed(
                slot,
                endpoint,
                denied ? ShardKitErrorCode.AccessDenied : ShardKitErrorCode.ShardUnavailable,
                denied
                    ? $"The {role} {endpoint.Endpoint.Address} of cluster '{endpoint.Cluster}' (shard {slot.Name}) refused the configured user name or password: {reason} Fix the credentials in the topology; retrying will not help."
                    : $"Could not open a connection to shard {slot.Name} on cluster '{endpoint.Cluster}' ({role} {endpoint.Endpoint.Address}): {reason}",
                ex,
                activity);
        }
        catch
        {
            guard.Gate.Release();
            guard.Breaker.OnAbandoned(isTrial);
            activity?.Dispose();
            throw;
        }

        if (guard.Breaker.OnSuccess())
        {
            Log.BreakerClosed(_logger, endpoint.Endpoint.Address, endpoint.Cluster);
        }

        if (activity is { IsAllDataRequested: true } && connection.ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase))
        {
            activity.SetTag(TelemetryTags.DbSystemName, TelemetryTags.MariaDb);
        }

        endpoint.AddOutstanding();
        return new ShardConnection(_ambient, slot, endpoint.Endpoint, connection, intent, enlistedIn: null, new ConnectionLease(this, endpoint, guard.Gate, started, activity));
    }

    /// <summary>Opens a connection from <paramref name="endpoint"/>'s pool within the connect timeout, outside breaker and gate (probes, bookkeeping).</summary>
    public async ValueTask<DbConnection> OpenWithTimeoutAsync(EndpointState endpoint, CancellationToken cancellationToken)
    {
        var connectTimeout = endpoint.Guard.ConnectTimeout;
        using var timeout = new CancellationTokenSource(connectTimeout, _timeProvider);
        using var link = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timeout)
            : default;
        try
        {
            return await endpoint.Pool.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                string.Create(CultureInfo.InvariantCulture, $"No connection to {endpoint.Endpoint.Address} within the connect timeout of {connectTimeout.TotalMilliseconds:0} ms."),
                ex);
        }
    }

    /// <summary>Gives back what a routed connection took (its gate slot, its span) and records its duration; called once, when it is disposed.</summary>
    public void Release(ShardConnection connection, in ConnectionLease lease, bool failed)
    {
        lease.Gate.Release();
        lease.Endpoint.RemoveOutstanding();
        if (_metrics.DurationEnabled)
        {
            var tags = new TagList
            {
                { TelemetryTags.Dimension, ShardSlot.DimensionName(connection.Route.Dimension) },
                { TelemetryTags.Shard, connection.Route.Name },
                { TelemetryTags.Endpoint, lease.Endpoint.Endpoint.Address },
                { TelemetryTags.Role, lease.Endpoint.IsReplica ? TelemetryTags.Replica : TelemetryTags.Primary },
            };
            _metrics.RecordDuration(_timeProvider.GetElapsedTime(lease.Started).TotalSeconds, tags);
        }

        if (lease.Activity is { } activity)
        {
            if (failed)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }

            activity.Dispose();
        }
    }

    private static Activity? StartActivity(ShardSlot slot, EndpointState endpoint)
    {
        var source = ShardKitActivity.Source;
        if (!source.HasListeners())
        {
            return null;
        }

        var activity = source.StartActivity(ShardKitActivity.ConnectionSpan, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TelemetryTags.DbSystemName, TelemetryTags.MySql);
            activity.SetTag(TelemetryTags.ServerAddress, endpoint.Endpoint.Host);
            activity.SetTag(TelemetryTags.ServerPort, endpoint.Endpoint.Port);
            activity.SetTag(TelemetryTags.DbNamespace, slot.Schema);
            activity.SetTag(TelemetryTags.Dimension, ShardSlot.DimensionName(slot.Dimension));
            activity.SetTag(TelemetryTags.Shard, slot.Name);
            activity.SetTag(TelemetryTags.Cluster, endpoint.Cluster);
            activity.SetTag(TelemetryTags.Endpoint, endpoint.Endpoint.Address);
            activity.SetTag(TelemetryTags.Role, endpoint.IsReplica ? TelemetryTags.Replica : TelemetryTags.Primary);
        }

        return activity;
    }

    private ShardKitException OpenFailed(ShardSlot slot, EndpointState endpoint, ShardKitErrorCode code, string message, Exception? inner, Activity? activity = null)
    {
        _metrics.RecordError(slot.Name, endpoint.Endpoint.Address, code);
        if (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, message);
            activity.SetTag(TelemetryTags.ErrorType, RoutingMetrics.ErrorName(code));
            activity.Dispose();
        }

        return new ShardKitException(code, message, inner) { Shard = slot.Name };
    }
}

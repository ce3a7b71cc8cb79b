using System.Data.Common;
using System.Diagnostics;
using System.Globalization;

namespace ShardKit;

/// <content>Opening a connection on one endpoint through its circuit breaker, concurrency gate and connect timeout.</content>
public sealed partial class ShardKitDataSource
{
    /// <summary>
    /// Opens a routed connection on <paramref name="endpoint"/>: refused at once when its breaker is open, rejected with
    /// <see cref="ShardKitErrorCode.Overloaded"/> when its concurrency limit and queue are full, and failed with
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> when it cannot be opened within the connect timeout.
    /// </summary>
    internal async ValueTask<ShardConnection> OpenEndpointAsync(
        ShardSlot slot, EndpointState endpoint, ShardIntent intent, bool nonEssential, CancellationToken cancellationToken)
    {
        var started = TimeProvider.GetTimestamp();
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
        using var timeout = new CancellationTokenSource(guard.ConnectTimeout, TimeProvider);
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
                Log.BreakerOpened(Logger, endpoint.Endpoint.Address, endpoint.Cluster, guard.BreakAfterFailures, guard.BreakDuration);
            }

            Log.ShardOpenFailed(Logger, ex, slot.Name, endpoint.Endpoint.Address);
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
            Log.BreakerClosed(Logger, endpoint.Endpoint.Address, endpoint.Cluster);
        }

        if (activity is { IsAllDataRequested: true } && connection.ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase))
        {
            activity.SetTag(TelemetryTags.DbSystemName, TelemetryTags.MariaDb);
        }

        endpoint.AddOutstanding();
        return new ShardConnection(this, slot, endpoint.Endpoint, connection, intent, enlistedIn: null, new ConnectionLease(endpoint, guard.Gate, started, activity));
    }

    /// <summary>Opens a connection from <paramref name="endpoint"/>'s pool within the connect timeout, outside breaker and gate (probes, bookkeeping).</summary>
    internal async ValueTask<DbConnection> OpenWithTimeoutAsync(EndpointState endpoint, CancellationToken cancellationToken)
    {
        var connectTimeout = endpoint.Guard.ConnectTimeout;
        using var timeout = new CancellationTokenSource(connectTimeout, TimeProvider);
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

    /// <summary>Called once when a routed connection that took a slot is disposed.</summary>
    internal void OnConnectionClosed(ShardConnection connection, in ConnectionLease lease, bool failed)
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
            _metrics.RecordDuration(TimeProvider.GetElapsedTime(lease.Started).TotalSeconds, tags);
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

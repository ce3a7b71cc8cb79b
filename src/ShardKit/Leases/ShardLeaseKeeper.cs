using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging;

namespace ShardKit.Leases;

/// <summary>
/// Holds this instance's share of the user shards for one kind of background work: every
/// <see cref="ShardLeaseOptions.RenewInterval"/> it renews its leases and reads the lease table of each cluster in one
/// round trip, then claims or gives up shards as <see cref="LeasePlanner"/> says. <see cref="IsHeld"/> is judged on
/// this process's monotonic clock from the moment each renewal was sent, so it turns <see langword="false"/> no later
/// than the server considers the lease expired. Stopping releases the leases, so others take over at once.
/// </summary>
internal sealed class ShardLeaseKeeper
{
    private static readonly IReadOnlyDictionary<int, long> s_none = new Dictionary<int, long>();
    private readonly ShardKitDataSource _dataSource;
    private readonly ShardLeaseOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _durationTicks;
    private readonly Dictionary<string, int> _lastCounts = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _firstRefresh = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IReadOnlyDictionary<int, long> _heldUntil = s_none;
    private readonly HashSet<string> _startedOn = new(StringComparer.Ordinal);

    public ShardLeaseKeeper(ShardKitDataSource dataSource, string kind, ShardLeaseOptions options, ILogger logger)
    {
        _dataSource = dataSource;
        Kind = kind;
        _options = options;
        _logger = logger;
        _time = dataSource.TimeProvider;
        _durationTicks = (long)(options.LeaseDuration.TotalSeconds * _time.TimestampFrequency);
        var name = options.HolderName ?? DefaultHolderName();
        Holder = string.Concat(name, "/", Guid.NewGuid().ToString("N")[..12]);
    }

    /// <summary>The kind of work, the first half of the lease key (<c>outbox</c>, <c>alternate-key-sweep</c>).</summary>
    public string Kind { get; }

    /// <summary>This instance's holder ID in the lease table: the holder name plus a unique suffix.</summary>
    public string Holder { get; }

    /// <summary>Whether <see cref="RunAsync"/> releases the leases when it stops (tests turn it off to act as a killed instance).</summary>
    public bool ReleaseOnStop { get; set; } = true;

    /// <summary>Completes when the first renewal cycle has run (whatever its outcome).</summary>
    public Task FirstRefresh => _firstRefresh.Task;

    /// <summary>The user shards whose lease is certainly held now, in order.</summary>
    public IReadOnlyList<int> HeldShards
    {
        get
        {
            var now = _time.GetTimestamp();
            return _heldUntil.Where(h => now < h.Value).Select(h => h.Key).Order().ToList();
        }
    }

    /// <summary>Whether the lease on user shard <paramref name="shard"/> is certainly held now.</summary>
    public bool IsHeld(int shard) => _heldUntil.TryGetValue(shard, out var until) && _time.GetTimestamp() < until;

    /// <summary>Renews and rebalances every <see cref="ShardLeaseOptions.RenewInterval"/> until cancelled, then releases (see <see cref="ReleaseOnStop"/>).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await RefreshAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Whatever went wrong, the leases already held lapse on their own; the next cycle tries again.
                    ShardLeaseLog.RenewFailed(_logger, ex, Kind, "*");
                }

                _firstRefresh.TrySetResult();
                await Task.Delay(_options.RenewInterval, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _firstRefresh.TrySetResult();
            if (ReleaseOnStop)
            {
                await ReleaseAllAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>One renewal cycle over every cluster that holds user shards; a cluster that fails keeps its leases until they lapse.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var clusters = _dataSource.Map.GetRoutes(ShardDimension.User).GroupBy(r => r.Cluster.Name, StringComparer.Ordinal).ToList();
        var previous = _heldUntil;
        var next = new Dictionary<int, long>();
        foreach (var cluster in clusters)
        {
            var shards = cluster.Select(r => r.Shard).ToList();
            try
            {
                var (held, sentAt) = await RefreshClusterAsync(cluster.First().Cluster, shards, cancellationToken).ConfigureAwait(false);
                foreach (var shard in held)
                {
                    next[shard] = sentAt + _durationTicks;
                }
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                ShardLeaseLog.RenewFailed(_logger, ex, Kind, cluster.Key);
                foreach (var shard in shards.Where(previous.ContainsKey))
                {
                    next[shard] = previous[shard];
                }
            }
        }

        _heldUntil = next;
    }

    /// <summary>Gives up every lease of this holder and its membership, on every cluster; failures are logged, the leases then lapse.</summary>
    public async Task ReleaseAllAsync()
    {
        _heldUntil = s_none;

        // Bounded, so a host shutting down with a cluster unreachable is not held up: those leases lapse instead.
        using var timeout = new CancellationTokenSource(TimeSpan.FromTicks(Math.Min(_options.LeaseDuration.Ticks, TimeSpan.FromSeconds(5).Ticks)));
        await Task.WhenAll(_dataSource.Map.Clusters.Select(async cluster =>
        {
            try
            {
                var connection = await _dataSource.OpenClusterAsync(cluster, timeout.Token).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    await connection.ExecuteAsync(new CommandDefinition(ShardLeaseSql.ReleaseAll, new { Kind, Holder }, cancellationToken: timeout.Token)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is DbException or ShardKitException or OperationCanceledException)
            {
                if (!(ex is DbException db && ControlSchema.IsMissingTable(db)))
                {
                    ShardLeaseLog.ReleaseFailed(_logger, ex, Kind, cluster.Name);
                }
            }
        })).ConfigureAwait(false);
        ShardLeaseLog.Released(_logger, Kind, Holder);
    }

    private async Task<(IReadOnlyCollection<int> Held, long SentAt)> RefreshClusterAsync(ShardCluster cluster, List<int> shards, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var micros = _options.LeaseDuration.Ticks / TimeSpan.TicksPerMicrosecond;
            var sentAt = _time.GetTimestamp();
            (List<LeaseRow> Rows, List<string> Holders) state;
            try
            {
                state = await RenewAndReadAsync(connection, micros, cancellationToken).ConfigureAwait(false);
            }
            catch (DbException ex) when (ControlSchema.IsMissingTable(ex))
            {
                await ShardLeaseSql.EnsureAsync(connection, cancellationToken).ConfigureAwait(false);
                state = await RenewAndReadAsync(connection, micros, cancellationToken).ConfigureAwait(false);
            }

            if (_startedOn.Add(cluster.Name))
            {
                await connection.ExecuteAsync(new CommandDefinition(ShardLeaseSql.ForgetOldHolders, new { Kind }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            var plan = LeasePlanner.Plan(Holder, shards, state.Rows, state.Holders);
            IReadOnlyCollection<int> held = plan.Held;
            if (plan.Release.Count > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(ShardLeaseSql.Release(plan.Release), new { Kind, Holder }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            if (plan.Claim.Count > 0)
            {
                var existing = state.Rows.Select(r => r.Shard).ToHashSet();
                var missing = plan.Claim.Where(s => !existing.Contains(s)).ToList();
                var claimed = await connection.QueryAsync<int>(new CommandDefinition(
                    ShardLeaseSql.Claim(missing, plan.Claim), new { Kind, Holder, Micros = micros }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                var onCluster = shards.ToHashSet();
                held = claimed.Where(onCluster.Contains).Order().ToList();
            }

            var last = _lastCounts.GetValueOrDefault(cluster.Name, -1);
            if (last != held.Count)
            {
                _lastCounts[cluster.Name] = held.Count;
                ShardLeaseLog.Changed(_logger, Kind, cluster.Name, Holder, held.Count, shards.Count, plan.Claim.Count, plan.Release.Count, plan.Holders);
            }

            return (held, sentAt);
        }
    }

    private async Task<(List<LeaseRow> Rows, List<string> Holders)> RenewAndReadAsync(DbConnection connection, long micros, CancellationToken cancellationToken)
    {
        var grid = await connection.QueryMultipleAsync(new CommandDefinition(
            ShardLeaseSql.RenewAndRead, new { Kind, Holder, Micros = micros }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (grid.ConfigureAwait(false))
        {
            var rows = (await grid.ReadAsync<(int Shard, string Holder, long Live)>().ConfigureAwait(false))
                .Select(r => new LeaseRow(r.Shard, r.Holder, r.Live != 0))
                .ToList();
            var holders = (await grid.ReadAsync<string>().ConfigureAwait(false)).ToList();
            return (rows, holders);
        }
    }

    private static string DefaultHolderName()
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}:{Environment.ProcessId}");
        return name.Length <= 60 ? name : name[^60..];
    }
}

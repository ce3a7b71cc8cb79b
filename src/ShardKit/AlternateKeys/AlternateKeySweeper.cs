using Microsoft.Extensions.Hosting;

namespace ShardKit.AlternateKeys;

/// <summary>
/// Runs <see cref="AlternateKeyStore.SweepAsync"/> every <see cref="AlternateKeyStoreOptions.SweepInterval"/>
/// as a hosted service, removing mappings whose order is gone once they are older than the grace period.
/// </summary>
/// <remarks>
/// With <see cref="AlternateKeyStoreOptions.SweepLeases"/> on (the default), the sweepers of all instances share the
/// user shards through leases: each sweeps only the shards it holds, and takes over those of an instance that stopped.
/// </remarks>
public sealed class AlternateKeySweeper : BackgroundService
{
    /// <summary>The kind of work under which the sweeper's shard leases are recorded.</summary>
    internal const string LeaseKind = "alternate-key-sweep";

    private readonly AlternateKeyStore _store;
    private readonly ShardLeaseKeeper? _leases;

    /// <summary>Creates a sweeper for the mappings of <paramref name="store"/>.</summary>
    /// <param name="store">The store whose options (interval, grace period, leases) and logger the sweeper uses.</param>
    public AlternateKeySweeper(AlternateKeyStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _leases = store.Options.SweepLeases.Enabled ? new ShardLeaseKeeper(store.DataSource, LeaseKind, store.Options.SweepLeases, store.Logger) : null;
    }

    /// <summary>
    /// The user shards the sweeper sweeps: those whose lease it holds now (none before it starts), or every user shard
    /// when <see cref="ShardLeaseOptions.Enabled"/> is <see langword="false"/>.
    /// </summary>
    public IReadOnlyList<int> HeldShards =>
        _leases?.HeldShards ?? _store.DataSource.Map.GetRoutes(ShardDimension.User).Select(r => r.Shard).ToList();

    /// <summary>The sweeper's shard leases; <see langword="null"/> when leases are off.</summary>
    internal ShardLeaseKeeper? Leases => _leases;

    /// <summary>Keeps the shard leases and sweeps the held shards, then waits <see cref="AlternateKeyStoreOptions.SweepInterval"/>, until the host stops.</summary>
    /// <param name="stoppingToken">Signals the host is stopping.</param>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_leases is null)
        {
            await SweepUntilStoppedAsync(stoppingToken).ConfigureAwait(false);
            return;
        }

        var leases = Task.Run(() => _leases.RunAsync(stoppingToken), CancellationToken.None);
        try
        {
            await _leases.FirstRefresh.WaitAsync(stoppingToken).ConfigureAwait(false);
            await SweepUntilStoppedAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await leases.ConfigureAwait(false);
        }
    }

    private async Task SweepUntilStoppedAsync(CancellationToken stoppingToken)
    {
        var time = _store.DataSource.TimeProvider;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _store.SweepShardsAsync(route => _leases is null || _leases.IsHeld(route.Shard), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                MappingLog.SweepFailed(_store.Logger, ex);
            }

            try
            {
                await Task.Delay(_store.Options.SweepInterval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

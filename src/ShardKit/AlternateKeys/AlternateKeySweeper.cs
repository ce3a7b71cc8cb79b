using Microsoft.Extensions.Hosting;

namespace ShardKit.AlternateKeys;

/// <summary>
/// Runs <see cref="AlternateKeyStore.SweepAsync"/> every <see cref="AlternateKeyStoreOptions.SweepInterval"/> as a hosted
/// service, removing mappings whose order is gone once they are older than the grace period.
/// </summary>
public sealed class AlternateKeySweeper : BackgroundService
{
    private readonly AlternateKeyStore _store;

    /// <summary>Creates a sweeper for the mappings of <paramref name="store"/>.</summary>
    /// <param name="store">The store whose options (interval, grace period) and logger the sweeper uses.</param>
    public AlternateKeySweeper(AlternateKeyStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <summary>Sweeps, then waits <see cref="AlternateKeyStoreOptions.SweepInterval"/>, until the host stops.</summary>
    /// <param name="stoppingToken">Signals the host is stopping.</param>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var time = _store.DataSource.TimeProvider;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _store.SweepAsync(stoppingToken).ConfigureAwait(false);
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

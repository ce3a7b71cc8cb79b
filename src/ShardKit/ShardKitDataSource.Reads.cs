using System.Data.Common;
using Polly;
using Polly.Retry;

namespace ShardKit;

/// <content>Idempotent reads with retries of transient failures.</content>
public sealed partial class ShardKitDataSource
{
    /// <summary>
    /// Runs an idempotent read on the shard of <paramref name="route"/>: opens a connection as <paramref name="options"/> say,
    /// runs <paramref name="read"/> on it and disposes it. When the open or the read fails with a transient error (the
    /// server could not be reached, the connection was lost, a deadlock), the whole read runs again on a freshly chosen
    /// server, up to <see cref="EndpointResilienceOptions.ReadRetries"/> times (Polly retry, no delay). Inside a ShardKit
    /// transaction it runs once, on the transaction's connection. <see cref="ShardKitErrorCode.Overloaded"/> is never retried.
    /// </summary>
    /// <typeparam name="T">What the read returns.</typeparam>
    /// <param name="route">A route from <see cref="Map"/>.</param>
    /// <param name="read">The read; it must have no side effects, because it may run more than once.</param>
    /// <param name="options">Preference, causal token, maximum lag and essentialness; null for <see cref="ReadOptions.Default"/>.</param>
    /// <param name="cancellationToken">Cancels the read and its retries.</param>
    /// <exception cref="ShardKitException">The last attempt's failure, as the open methods describe.</exception>
    public async Task<T> ReadAsync<T>(ShardRoute route, Func<ShardConnection, CancellationToken, Task<T>> read, ReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = (Owner: this, Route: route, Read: read, Options: options ?? ReadOptions.Default);
        var pipeline = AmbientTransaction is null ? _state.ReadRetry : ResiliencePipeline.Empty;
        return await pipeline.ExecuteAsync(
            static async (s, ct) =>
            {
                var shard = await s.Owner.OpenAsync(s.Route, s.Options, ct).ConfigureAwait(false);
                await using (shard.ConfigureAwait(false))
                {
                    return await shard.RunInSpanAsync(s.Read, ct).ConfigureAwait(false);
                }
            },
            state,
            cancellationToken).ConfigureAwait(false);
    }

    private ResiliencePipeline CreateReadRetry(EndpointResilienceOptions options)
    {
        if (options.ReadRetries == 0)
        {
            return ResiliencePipeline.Empty;
        }

        return new ResiliencePipelineBuilder { TimeProvider = TimeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.ReadRetries,
                Delay = TimeSpan.Zero,
                BackoffType = DelayBackoffType.Constant,
                ShouldHandle = args => ValueTask.FromResult(IsRetriable(args.Outcome.Exception)),
                OnRetry = args =>
                {
                    Replication.ReplicationLog.ReadRetried(Logger, args.Outcome.Exception, args.AttemptNumber + 1);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    private static bool IsRetriable(Exception? exception) => exception switch
    {
        ShardKitException ex => ex.ErrorCode == ShardKitErrorCode.ShardUnavailable,
        DbException ex => ShardKitErrors.IsTransient(ex),
        _ => false,
    };
}

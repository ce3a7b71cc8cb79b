using System.Data.Common;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace ShardKit.Resilience;

/// <summary>
/// The retry of idempotent reads (<see cref="ShardKitDataSource.ReadAsync{T}"/>): up to
/// <see cref="EndpointResilienceOptions.ReadRetries"/> more attempts, without delay, of a read that failed with
/// <see cref="ShardKitErrorCode.ShardUnavailable"/> or a transient driver error. <see cref="ShardKitErrorCode.Overloaded"/> is never retried.
/// </summary>
internal static class ReadRetryPipeline
{
    public static ResiliencePipeline Create(EndpointResilienceOptions options, TimeProvider timeProvider, ILogger logger)
    {
        if (options.ReadRetries == 0)
        {
            return ResiliencePipeline.Empty;
        }

        return new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.ReadRetries,
                Delay = TimeSpan.Zero,
                BackoffType = DelayBackoffType.Constant,
                ShouldHandle = args => ValueTask.FromResult(IsRetriable(args.Outcome.Exception)),
                OnRetry = args =>
                {
                    ReplicationLog.ReadRetried(logger, args.Outcome.Exception, args.AttemptNumber + 1);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    public static bool IsRetriable(Exception? exception) => exception switch
    {
        ShardKitException ex => ex.ErrorCode == ShardKitErrorCode.ShardUnavailable,
        DbException ex => ShardKitErrors.IsTransient(ex),
        _ => false,
    };
}

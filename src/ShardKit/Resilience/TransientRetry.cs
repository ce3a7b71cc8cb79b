using System.Data.Common;
using Polly;
using Polly.Retry;

namespace ShardKit.Resilience;

/// <summary>
/// The one way ShardKit runs a statement again after a transient failure (a deadlock or lock wait with a concurrent writer,
/// a lost connection: <see cref="ShardKitErrors.IsTransient(Exception)"/>): a Polly retry with linear, jittered delays.
/// </summary>
internal static class TransientRetry
{
    /// <summary>A pipeline that makes up to <paramref name="attempts"/> attempts in all, waiting about <paramref name="delay"/> × the attempt between them.</summary>
    public static ResiliencePipeline Create(int attempts, TimeSpan delay, TimeProvider timeProvider) =>
        new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = attempts - 1,
                Delay = delay,
                BackoffType = DelayBackoffType.Linear,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<DbException>(ShardKitErrors.IsTransient),
            })
            .Build();
}

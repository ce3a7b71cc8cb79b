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
    /// <param name="attempts">Attempts in all, the first included.</param>
    /// <param name="delay">The linear step of the delay between attempts (jittered).</param>
    /// <param name="timeProvider">The clock the delays run on.</param>
    /// <param name="handles">
    /// Which failures are retried; <see cref="ShardKitErrors.IsTransient(Exception)"/> when <see langword="null"/>. A write
    /// whose commit may have reached the server narrows it to lock conflicts (deadlock, lock wait timeout), which roll back.
    /// </param>
    public static ResiliencePipeline Create(int attempts, TimeSpan delay, TimeProvider timeProvider, Func<DbException, bool>? handles = null) =>
        new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = attempts - 1,
                Delay = delay,
                BackoffType = DelayBackoffType.Linear,
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle(handles ?? ShardKitErrors.IsTransient),
            })
            .Build();
}

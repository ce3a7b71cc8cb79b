using Microsoft.AspNetCore.Diagnostics;
using ShardKit;

namespace OrderService;

/// <summary>
/// Turns request errors the framework throws (unreadable JSON, a path or query value of the wrong type) into
/// 400 ProblemDetails that say what was wrong, a trade number already used into 409, and a transient failure (a shard
/// that cannot be reached, a timed-out command, a lost connection: <see cref="ShardKitErrors.IsTransient(Exception)"/>) into 503 with
/// <c>Retry-After</c>.
/// Anything else stays a 500.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    /// <summary>What a 503 tells the client to wait before retrying: about one circuit-breaker period.</summary>
    public const string RetryAfterSeconds = "5";

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "The request is not valid."),
            ShardKitException { ErrorCode: ShardKitErrorCode.AlternateKeyTaken } => (StatusCodes.Status409Conflict, "The trade number belongs to another order."),
            _ when ShardKitErrors.IsTransient(exception) => (StatusCodes.Status503ServiceUnavailable, "The order's shard is unavailable; retry later."),
            _ => (0, null),
        };
        if (title is null)
        {
            return false;
        }

        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = RetryAfterSeconds;
        }

        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = Describe(exception) },
        });
    }

    // BadHttpRequestException says which parameter failed; the JSON reader's inner exception says where in the body.
    private static string Describe(Exception exception) =>
        exception.InnerException is { } inner ? exception.Message + " " + inner.Message : exception.Message;
}

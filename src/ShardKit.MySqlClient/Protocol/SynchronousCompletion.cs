namespace ShardKit.MySqlClient.Protocol;

/// <summary>
/// Unwraps value tasks produced with <see cref="IOBehavior.Synchronous"/>, which have always completed by the
/// time they are returned (the I/O underneath blocked on the socket). Never used to wait on asynchronous work.
/// </summary>
internal static class SynchronousCompletion
{
    public static T GetCompletedResult<T>(this ValueTask<T> task)
    {
        if (!task.IsCompleted)
        {
            throw new InvalidOperationException("A synchronous I/O operation did not complete synchronously.");
        }

        return task.Result;
    }

    public static void GetCompletedResult(this ValueTask task)
    {
        if (!task.IsCompleted)
        {
            throw new InvalidOperationException("A synchronous I/O operation did not complete synchronously.");
        }

        task.GetAwaiter().GetResult();
    }
}

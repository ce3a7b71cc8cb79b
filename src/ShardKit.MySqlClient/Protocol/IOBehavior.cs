namespace ShardKit.MySqlClient.Protocol;

/// <summary>
/// Whether an I/O path runs synchronously (blocking socket calls; every returned ValueTask is already complete)
/// or asynchronously. The synchronous path never blocks on a task.
/// </summary>
internal enum IOBehavior
{
    Synchronous,
    Asynchronous,
}

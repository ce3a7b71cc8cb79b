namespace ShardKit.Migrations.Commands;

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread (the progress display reads it at its own pace).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

namespace ShardKit.Schema;

/// <summary>The outcome of a schema script on one logical shard.</summary>
public sealed class SchemaShardResult
{
    internal SchemaShardResult(ShardRoute route, SchemaShardStatus status, TimeSpan elapsed, string? error)
    {
        Route = route;
        Status = status;
        Elapsed = elapsed;
        Error = error;
    }

    /// <summary>The shard.</summary>
    public ShardRoute Route { get; }

    /// <summary>Applied, skipped or failed.</summary>
    public SchemaShardStatus Status { get; }

    /// <summary>How long the shard took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Why the shard failed (the server's message, never a password); <see langword="null"/> otherwise.</summary>
    public string? Error { get; }

    /// <summary>Returns for example <c>user:17 Applied</c>.</summary>
    public override string ToString() => Error is null ? $"{Route.Name} {Status}" : $"{Route.Name} {Status}: {Error}";
}

namespace ShardKit.Connections;

/// <summary>What <see cref="ShardKitDataSource.WarmUpAsync"/> did.</summary>
public sealed class WarmUpResult
{
    internal WarmUpResult(int endpoints, int connectionsOpened, IReadOnlyList<string> failures)
    {
        Endpoints = endpoints;
        ConnectionsOpened = connectionsOpened;
        Failures = failures;
    }

    /// <summary>How many physical endpoints (primaries and replicas) were warmed.</summary>
    public int Endpoints { get; }

    /// <summary>How many connections were opened and returned to their pools.</summary>
    public int ConnectionsOpened { get; }

    /// <summary>One line per endpoint that could not be warmed fully: its address and the error (never a password).</summary>
    public IReadOnlyList<string> Failures { get; }

    /// <summary>Whether every endpoint got every connection asked for.</summary>
    public bool Succeeded => Failures.Count == 0;
}

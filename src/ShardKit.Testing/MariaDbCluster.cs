namespace ShardKit.Testing;

/// <summary>A physical cluster of a local topology: one primary and its GTID replicas.</summary>
public sealed class MariaDbCluster
{
    internal MariaDbCluster(string name, MariaDbServer primary, IReadOnlyList<MariaDbServer> replicas)
    {
        Name = name;
        Primary = primary;
        Replicas = replicas;
    }

    /// <summary>The cluster's name (<c>c0</c>, <c>c1</c>, ...), as written to the topology file.</summary>
    public string Name { get; }

    /// <summary>The writable primary.</summary>
    public MariaDbServer Primary { get; }

    /// <summary>The read-only replicas of <see cref="Primary"/>.</summary>
    public IReadOnlyList<MariaDbServer> Replicas { get; }

    /// <summary>Waits until every running replica has applied what the primary had written when the call started.</summary>
    public async Task WaitForReplicationAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        foreach (var replica in Replicas.Where(r => r.IsRunning))
        {
            await replica.WaitForReplicationAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
    }
}

namespace ShardKit.Testing;

/// <summary>What a local <see cref="MariaDbTopology"/> consists of.</summary>
public sealed class MariaDbTopologyOptions
{
    /// <summary>The largest number of clusters one local topology may have.</summary>
    public const int MaxClusters = 16;

    /// <summary>The largest number of replicas per cluster one local topology may have.</summary>
    public const int MaxReplicas = 4;

    /// <summary>Number of physical clusters (each one primary plus <see cref="Replicas"/> replicas), 1 to <see cref="MaxClusters"/>. Default 2.</summary>
    public int Clusters { get; set; } = 2;

    /// <summary>Replicas per cluster, 0 to <see cref="MaxReplicas"/>, each replicating from its primary with GTIDs. Default 1.</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>Whether to start a standalone "legacy" server: the pre-sharding monolith that migrations read from.</summary>
    public bool Legacy { get; set; }

    /// <summary>
    /// GTID replicas of the legacy server, 0 to <see cref="MaxReplicas"/> (only with <see cref="Legacy"/>): the replicas the legacy
    /// import's backfill reads from (<c>ShardKit:LegacyReplicas</c>). Default 0.
    /// </summary>
    public int LegacyReplicas { get; set; }

    /// <summary>
    /// The application account created on every server (all privileges but <c>SUPER</c> and <c>READ_ONLY ADMIN</c>). Default
    /// <c>shardkit</c>; not <c>shardkit_migrator</c>, the migrator's account (<see cref="MariaDbTopology.MigratorUser"/>).
    /// </summary>
    public string User { get; set; } = "shardkit";

    /// <summary>The application account's password; a random one is generated when null.</summary>
    public string? Password { get; set; }

    /// <summary>Whether servers accept TLS, with a certificate signed by a CA generated for the topology. Default true.</summary>
    public bool Tls { get; set; } = true;

    /// <summary>InnoDB buffer pool per server in MiB. Default 64.</summary>
    public int BufferPoolMegabytes { get; set; } = 64;

    /// <summary>
    /// Where data directories are created. Defaults to <c>shardkit-testing</c> under the system temporary directory;
    /// directories left there by processes that no longer run are removed (and their servers stopped) at the next start.
    /// </summary>
    public string? BaseDirectory { get; set; }

    /// <summary>How long to wait for each server to accept connections. Default 60 seconds.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    internal void Validate()
    {
        if (Clusters is < 1 or > MaxClusters)
        {
            throw new ArgumentOutOfRangeException(nameof(Clusters), Clusters, $"A local topology has 1 to {MaxClusters} clusters.");
        }

        if (Replicas is < 0 or > MaxReplicas)
        {
            throw new ArgumentOutOfRangeException(nameof(Replicas), Replicas, $"A local topology has 0 to {MaxReplicas} replicas per cluster.");
        }

        if (LegacyReplicas is < 0 or > MaxReplicas)
        {
            throw new ArgumentOutOfRangeException(nameof(LegacyReplicas), LegacyReplicas, $"A local topology has 0 to {MaxReplicas} legacy replicas.");
        }

        if (LegacyReplicas > 0 && !Legacy)
        {
            throw new ArgumentException("Legacy replicas need the legacy server: set Legacy as well.", nameof(LegacyReplicas));
        }

        if (string.IsNullOrWhiteSpace(User) || User.Length > 32 || !User.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException($"The user name must be 1 to 32 ASCII letters, digits or underscores; got '{User}'.", nameof(User));
        }

        if (string.Equals(User, MariaDbTopology.MigratorAccount, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The user name '{User}' is the migrator's account of every topology; choose another.", nameof(User));
        }

        if (Password is not null && (Password.Length == 0 || Password.Contains('\'', StringComparison.Ordinal) || Password.Contains('\\', StringComparison.Ordinal)))
        {
            throw new ArgumentException("The password must be non-empty and contain no quote or backslash.", nameof(Password));
        }

        if (BufferPoolMegabytes is < 8 or > 65536)
        {
            throw new ArgumentOutOfRangeException(nameof(BufferPoolMegabytes), BufferPoolMegabytes, "The buffer pool is 8 MiB to 64 GiB.");
        }
    }
}

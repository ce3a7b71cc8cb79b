using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ShardKit.Testing.Internal;

namespace ShardKit.Testing;

/// <summary>
/// A local topology of real <c>mariadbd</c> processes: clusters of one primary and GTID replicas, and optionally a
/// standalone legacy server. Ports are free loopback ports, data lives in temporary directories, and disposal stops every
/// process and removes every directory (stale ones from aborted runs are removed at the next start).
/// </summary>
public sealed class MariaDbTopology : IAsyncDisposable
{
    private const string ReplicationUser = "shardkit_repl";
    internal const string MigratorAccount = "shardkit_migrator";

    /// <summary>The legacy schema the migrator's account may change on the legacy server (the one <c>shardkit demo</c> seeds).</summary>
    private const string LegacySchema = "legacy";

    private static readonly object s_liveGate = new();
    private static readonly HashSet<MariaDbTopology> s_live = [];
    private static bool s_exitHookInstalled;

    private readonly List<MariaDbCluster> _clusters = [];
    private readonly string _replicationPassword = NewSecret();
    private readonly string _migratorPassword = NewSecret();
    private int _disposed;

    private MariaDbTopology(MariaDbTopologyOptions options, string directory)
    {
        Options = options;
        Directory = directory;
        User = options.User;
        Password = options.Password ?? NewSecret();
    }

    /// <summary>The options the topology was started with.</summary>
    public MariaDbTopologyOptions Options { get; }

    /// <summary>The directory holding every server's data (removed on dispose).</summary>
    public string Directory { get; }

    /// <summary>The application account's user name on every server.</summary>
    public string User { get; }

    /// <summary>The application account's password on every server.</summary>
    public string Password { get; }

    /// <summary>
    /// The migrator's account on every server, <c>shardkit_migrator</c>, for <c>shardkit migrate</c> and <c>shardkit move-shard</c>:
    /// it holds exactly the grants docs/migration.md lists ("The migrator's account"), no <c>SUPER</c>, no global write
    /// privilege. On the cluster primaries (and so on their replicas): <c>SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER,
    /// TRIGGER</c> on <c>sk\_user\_%</c> and <c>sk\_merchant\_%</c>, <c>SELECT, INSERT, UPDATE, CREATE</c> on <c>shardkit</c>,
    /// <c>SELECT, INSERT, UPDATE, DELETE, CREATE</c> on <c>shardkit_control</c>, and <c>SLAVE MONITOR</c>; on the legacy server,
    /// <c>SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER</c> on <c>legacy</c> (and <c>SLAVE MONITOR</c> when it has
    /// <see cref="LegacyReplicas"/>, which get the same grants through replication). Every server runs with <c>log_bin_trust_function_creators = 1</c>, so the account can create
    /// the capture triggers with the binary log on.
    /// </summary>
    public string MigratorUser => MigratorAccount;

    /// <summary>The migrator's account's password on every server (see <see cref="MigratorUser"/>).</summary>
    public string MigratorPassword => _migratorPassword;

    /// <summary>The clusters, in order (<c>c0</c>, <c>c1</c>, ...).</summary>
    public IReadOnlyList<MariaDbCluster> Clusters => _clusters;

    /// <summary>The standalone legacy server, when the topology was started with <see cref="MariaDbTopologyOptions.Legacy"/>.</summary>
    public MariaDbServer? Legacy { get; private set; }

    /// <summary>The GTID replicas of <see cref="Legacy"/> (<see cref="MariaDbTopologyOptions.LegacyReplicas"/>), in order; empty without them.</summary>
    public IReadOnlyList<MariaDbServer> LegacyReplicas { get; private set; } = [];

    /// <summary>Every server: primaries, replicas, the legacy server and its replicas.</summary>
    public IEnumerable<MariaDbServer> Servers =>
        _clusters.SelectMany(c => c.Replicas.Prepend(c.Primary)).Concat(Legacy is null ? [] : [Legacy]).Concat(LegacyReplicas);

    /// <summary>The PEM file of the certificate authority that signed the servers' TLS certificates, when TLS is on.</summary>
    public string? CaCertificatePath => Certificates?.CaPath;

    internal (string CaPath, string CertificatePath, string KeyPath)? Certificates { get; private set; }

    /// <summary>Starts a topology and returns when every server accepts connections and every replica has caught up.</summary>
    public static async Task<MariaDbTopology> StartAsync(MariaDbTopologyOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MariaDbTopologyOptions();
        options.Validate();
        ServerBinaries.Find();

        var baseDirectory = options.BaseDirectory ?? Path.Combine(Path.GetTempPath(), "shardkit-testing");
        System.IO.Directory.CreateDirectory(baseDirectory);
        StaleTopologies.CleanStale(baseDirectory);

        var directory = Path.Combine(baseDirectory, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}");
        System.IO.Directory.CreateDirectory(directory);
        StaleTopologies.WriteOwner(directory);

        var topology = new MariaDbTopology(options, directory);
        Register(topology);
        try
        {
            await topology.StartServersAsync(cancellationToken).ConfigureAwait(false);
            return topology;
        }
        catch
        {
            await topology.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The topology as the ShardKit configuration file that <c>shardkit dev up --write-config</c> writes:
    /// <c>{"ShardKit":{"Clusters":[{"Name","Primary","Replicas"}],"Legacy","LegacyReplicas"}}</c> (<c>LegacyReplicas</c> only when there are any).
    /// </summary>
    public string ToConfigurationJson() => ConfigurationJson(server => server.ConnectionString);

    /// <summary>
    /// <see cref="ToConfigurationJson"/> with the migrator's account (<see cref="MigratorUser"/>) in every connection string: the
    /// configuration to run <c>shardkit migrate</c> and <c>shardkit move-shard</c> with (<c>shardkit dev up --write-migrator-config</c>).
    /// </summary>
    public string ToMigratorConfigurationJson() => ConfigurationJson(server => server.MigratorConnectionString);

    /// <summary>Writes <see cref="ToConfigurationJson"/> to a file readable by its owner only (mode 0600: it holds a password).</summary>
    public Task WriteConfigurationAsync(string path, CancellationToken cancellationToken = default) =>
        WriteSecretFileAsync(path, ToConfigurationJson(), cancellationToken);

    /// <summary>Writes <see cref="ToMigratorConfigurationJson"/> to a file readable by its owner only (mode 0600: it holds a password).</summary>
    public Task WriteMigratorConfigurationAsync(string path, CancellationToken cancellationToken = default) =>
        WriteSecretFileAsync(path, ToMigratorConfigurationJson(), cancellationToken);

    private string ConfigurationJson(Func<MariaDbServer, string> connectionString)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("ShardKit");
            writer.WriteStartArray(nameof(Clusters));
            foreach (var cluster in _clusters)
            {
                writer.WriteStartObject();
                writer.WriteString("Name", cluster.Name);
                writer.WriteString("Primary", connectionString(cluster.Primary));
                writer.WriteStartArray("Replicas");
                foreach (var replica in cluster.Replicas)
                {
                    writer.WriteStringValue(connectionString(replica));
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (Legacy is not null)
            {
                writer.WriteString(nameof(Legacy), connectionString(Legacy));
            }

            if (LegacyReplicas.Count > 0)
            {
                writer.WriteStartArray(nameof(LegacyReplicas));
                foreach (var replica in LegacyReplicas)
                {
                    writer.WriteStringValue(connectionString(replica));
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static async Task WriteSecretFileAsync(string path, string json, CancellationToken cancellationToken)
    {
        // The file holds the application account's password: readable by its owner only (0600), from its creation on.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var stream = new FileStream(path, options);
        await using (stream.ConfigureAwait(false))
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(stream.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            var writer = new StreamWriter(stream);
            await using (writer.ConfigureAwait(false))
            {
                await writer.WriteAsync((json + "\n").AsMemory(), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Stops every server of the topology and removes its data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // The data is thrown away, so there is nothing to flush: kill at once, in parallel.
        await Task.WhenAll(Servers.Select(server => Task.Run(server.KillNow))).ConfigureAwait(false);
        StaleTopologies.TryDelete(Directory);
        Unregister(this);
    }

    private async Task StartServersAsync(CancellationToken cancellationToken)
    {
        if (Options.Tls)
        {
            Certificates = TestCertificates.Create(Path.Combine(Directory, "tls"));
        }

        for (var c = 0; c < Options.Clusters; c++)
        {
            var name = $"c{c}";
            var primary = new MariaDbServer(this, $"{name}-primary", MariaDbRole.Primary, serverId: (c * 10) + 1, gtidDomainId: c, source: null);
            var replicas = Enumerable.Range(1, Options.Replicas)
                .Select(r => new MariaDbServer(this, $"{name}-replica{r}", MariaDbRole.Replica, serverId: (c * 10) + 1 + r, gtidDomainId: c, source: primary))
                .ToList();
            _clusters.Add(new MariaDbCluster(name, primary, replicas));
        }

        if (Options.Legacy)
        {
            Legacy = new MariaDbServer(this, "legacy", MariaDbRole.Legacy, serverId: 1000, gtidDomainId: 100, source: null);
            var legacy = Legacy;
            LegacyReplicas = Enumerable.Range(1, Options.LegacyReplicas)
                .Select(r => new MariaDbServer(this, $"legacy-replica{r}", MariaDbRole.Replica, serverId: 1000 + r, gtidDomainId: 100, source: legacy))
                .ToList();
        }

        await Task.WhenAll(Servers.Select(server => server.InitializeAsync(cancellationToken))).ConfigureAwait(false);

        // Accounts are created on primaries (and the legacy server) and reach the replicas through replication.
        await Task.WhenAll(Servers.Where(s => s.Role != MariaDbRole.Replica)
            .Select(server => server.ExecuteAsync(AccountsSql() + MigratorAccountSql(server.Role), cancellationToken))).ConfigureAwait(false);
        await Task.WhenAll(Servers.Where(s => s.Role == MariaDbRole.Replica)
            .Select(replica => replica.ConfigureReplicationAsync(ReplicationUser, _replicationPassword, cancellationToken))).ConfigureAwait(false);
        await Task.WhenAll(_clusters.Select(cluster => cluster.WaitForReplicationAsync(TimeSpan.FromSeconds(60), cancellationToken))).ConfigureAwait(false);
        foreach (var replica in LegacyReplicas)
        {
            await replica.WaitForReplicationAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
    }

    private string AccountsSql() =>
        $"""
        CREATE USER '{ReplicationUser}'@'127.0.0.1' IDENTIFIED BY '{_replicationPassword}';
        GRANT REPLICATION SLAVE ON *.* TO '{ReplicationUser}'@'127.0.0.1';
        CREATE USER '{User}'@'%' IDENTIFIED BY '{Password}';
        GRANT ALL PRIVILEGES ON *.* TO '{User}'@'%' WITH GRANT OPTION;
        REVOKE SUPER, READ_ONLY ADMIN ON *.* FROM '{User}'@'%';
        """;

    /// <summary>
    /// The migrator's account with exactly the grants docs/migration.md lists ("The migrator's account"): on a cluster primary the
    /// shard schemas (triggers included), the schema roll-out log, the control schema and <c>SLAVE MONITOR</c> for the lag throttle;
    /// on the legacy server the legacy schema, and <c>SLAVE MONITOR</c> when it has replicas (the lag throttle reads theirs; the
    /// grants reach the replicas through replication, and <c>MASTER_GTID_WAIT</c> needs no privilege). No <c>SUPER</c>: the servers
    /// run with <c>log_bin_trust_function_creators = 1</c>.
    /// </summary>
    private string MigratorAccountSql(MariaDbRole role) => role == MariaDbRole.Legacy
        ? $"""
          CREATE USER '{MigratorAccount}'@'%' IDENTIFIED BY '{_migratorPassword}';
          GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, TRIGGER ON `{LegacySchema}`.* TO '{MigratorAccount}'@'%';
          {(LegacyReplicas.Count > 0 ? $"GRANT SLAVE MONITOR ON *.* TO '{MigratorAccount}'@'%';" : "")}
          """
        : $"""
          CREATE USER '{MigratorAccount}'@'%' IDENTIFIED BY '{_migratorPassword}';
          GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, TRIGGER ON `sk\_user\_%`.* TO '{MigratorAccount}'@'%';
          GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, TRIGGER ON `sk\_merchant\_%`.* TO '{MigratorAccount}'@'%';
          GRANT SELECT, INSERT, UPDATE, CREATE ON `shardkit`.* TO '{MigratorAccount}'@'%';
          GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON `shardkit_control`.* TO '{MigratorAccount}'@'%';
          GRANT SLAVE MONITOR ON *.* TO '{MigratorAccount}'@'%';
          """;

    private static string NewSecret() => "sk-" + RandomNumberGenerator.GetHexString(20, lowercase: true);

    private static void Register(MariaDbTopology topology)
    {
        lock (s_liveGate)
        {
            s_live.Add(topology);
            if (!s_exitHookInstalled)
            {
                s_exitHookInstalled = true;
                AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAllLive();
            }
        }
    }

    private static void Unregister(MariaDbTopology topology)
    {
        lock (s_liveGate)
        {
            s_live.Remove(topology);
        }
    }

    private static void KillAllLive()
    {
        MariaDbTopology[] live;
        lock (s_liveGate)
        {
            live = [.. s_live];
        }

        foreach (var topology in live)
        {
            topology.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using ShardKit.Testing.Internal;

namespace ShardKit.Testing;

/// <summary>
/// One real <c>mariadbd</c> process of a local topology, with controls for fault tests: stop, kill -9, start again,
/// pause and resume replication, wait for a replica to catch up.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The semaphore never allocates a wait handle; the topology owns the server's lifetime.")]
public sealed partial class MariaDbServer
{
    private readonly MariaDbTopology _topology;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private Process? _process;
    private bool _replicationConfigured;

    internal MariaDbServer(MariaDbTopology topology, string name, MariaDbRole role, int serverId, int gtidDomainId, MariaDbServer? source)
    {
        _topology = topology;
        Name = name;
        Role = role;
        ServerId = serverId;
        GtidDomainId = gtidDomainId;
        Source = source;
        DataDirectory = Path.Combine(topology.Directory, name);
        SocketPath = Path.Combine(DataDirectory, "mariadbd.sock");
        TemporaryDirectory = Path.Combine(topology.Directory, name + ".tmp");
    }

    /// <summary>The server's name in the topology, for example <c>c0-primary</c> or <c>c1-replica1</c>.</summary>
    public string Name { get; }

    /// <summary>What the server does in the topology.</summary>
    public MariaDbRole Role { get; }

    /// <summary>The server's <c>server_id</c>.</summary>
    public int ServerId { get; }

    /// <summary>The GTID domain the server writes in (its cluster's index; the legacy server uses 100).</summary>
    public int GtidDomainId { get; }

    /// <summary>For a replica, the primary it replicates from; otherwise null.</summary>
    public MariaDbServer? Source { get; }

    /// <summary>The loopback address the server listens on.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The TCP port the server listens on (kept across restarts).</summary>
    public int Port { get; private set; }

    /// <summary>The application account's user name.</summary>
    public string User => _topology.User;

    /// <summary>The application account's password.</summary>
    public string Password => _topology.Password;

    /// <summary>
    /// A connection string for the application account, in MySqlConnector's keywords. With TLS on (the default) it requires
    /// TLS and verifies the server's certificate against the topology's generated CA (<c>SslMode=VerifyCA;SslCa=...</c>), as a
    /// production connection string should; otherwise it says <c>SslMode=None</c>.
    /// </summary>
    public string ConnectionString => ConnectionStringFor(User, Password);

    /// <summary>
    /// <see cref="ConnectionString"/> with the migrator's account (<see cref="MariaDbTopology.MigratorUser"/>): what
    /// <c>shardkit migrate</c> and <c>shardkit move-shard</c> connect with.
    /// </summary>
    public string MigratorConnectionString => ConnectionStringFor(_topology.MigratorUser, _topology.MigratorPassword);

    /// <summary>The server's data directory (removed when the topology is disposed).</summary>
    public string DataDirectory { get; }

    /// <summary>The Unix socket on which <see cref="ExecuteAsync"/> reaches the server as root.</summary>
    public string SocketPath { get; }

    /// <summary>The server's own temporary directory (concurrent servers must not share one).</summary>
    internal string TemporaryDirectory { get; }

    /// <summary>The path of the server's error log.</summary>
    public string ErrorLogPath => Path.Combine(DataDirectory, "error.log");

    /// <summary>The server's process ID while it runs.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <inheritdoc />
    public override string ToString() => $"{Name} (127.0.0.1:{Port})";

    /// <summary>
    /// Starts the server again after <see cref="StopAsync"/> or <see cref="KillAsync"/>, on the same port and data.
    /// A replica then resumes replication from the last event group it applied before it went down.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsRunning)
            {
                return;
            }

            await LaunchAsync(allowNewPort: false, cancellationToken).ConfigureAwait(false);
            if (_replicationConfigured)
            {
                await StartReplicationAfterRestartAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Shuts the server down cleanly (SIGTERM) and waits until the process has exited.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_process is not { HasExited: false } process)
            {
                return;
            }

            SendSignal(process.Id, "TERM");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Kills the server with SIGKILL (no shutdown, like a crash) and waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        await _lifecycle.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_process is not { HasExited: false } process)
            {
                return;
            }

            process.Kill();
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    internal async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(DataDirectory);
        Directory.CreateDirectory(TemporaryDirectory);
        var template = await TemplateDataDirectory.EnsureAsync([.. StorageArguments()], cancellationToken).ConfigureAwait(false);
        TemplateDataDirectory.CopyTo(template, DataDirectory);

        await LaunchAsync(allowNewPort: true, cancellationToken).ConfigureAwait(false);
    }

    internal void KillNow()
    {
        try
        {
            if (_process is { HasExited: false } process)
            {
                process.Kill();
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    private async Task LaunchAsync(bool allowNewPort, CancellationToken cancellationToken)
    {
        var binaries = ServerBinaries.Find();
        for (var attempt = 1; ; attempt++)
        {
            if (Port == 0 || (allowNewPort && attempt > 1))
            {
                Port = PortAllocator.FreeLoopbackPort();
            }

            var startInfo = new ProcessStartInfo(binaries.Server)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in ServerArguments())
            {
                startInfo.ArgumentList.Add(argument);
            }

            var process = Process.Start(startInfo) ?? throw new MariaDbTopologyException($"Could not start mariadbd for {Name}.");
            process.OutputDataReceived += static (_, _) => { };
            process.ErrorDataReceived += static (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;

            if (await WaitUntilReadyAsync(process, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            var log = File.Exists(ErrorLogPath) ? await File.ReadAllTextAsync(ErrorLogPath, cancellationToken).ConfigureAwait(false) : "";
            var portClash = log.Contains("Address already in use", StringComparison.Ordinal) || log.Contains("Can't start server: Bind", StringComparison.Ordinal);
            KillNow();
            if (portClash && allowNewPort && attempt < 5)
            {
                continue;
            }

            throw new MariaDbTopologyException(portClash
                ? $"{Name} could not listen on port {Port}: the port is in use."
                : $"{Name} did not start within {_topology.Options.StartTimeout.TotalSeconds:0} s. Last lines of {ErrorLogPath}: {Tail(log)}");
        }
    }

    private async Task<bool> WaitUntilReadyAsync(Process process, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < _topology.Options.StartTimeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                return false;
            }

            if (File.Exists(SocketPath) && PortAllocator.IsListening(Port))
            {
                var (exitCode, _, _) = await RunClientAsync("SELECT 1", TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                if (exitCode == 0)
                {
                    return true;
                }
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    private List<string> ServerArguments()
    {
        var arguments = new List<string>
        {
            "--no-defaults",
            $"--datadir={DataDirectory}",
            $"--tmpdir={TemporaryDirectory}",
            $"--socket={SocketPath}",
            $"--port={Port}",
            "--bind-address=127.0.0.1",
            $"--pid-file={Path.Combine(DataDirectory, StaleTopologies.ServerPidFileName)}",
            $"--log-error={ErrorLogPath}",
            "--user=root",
            $"--server-id={ServerId}",
            "--skip-name-resolve",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
            "--default-time-zone=+00:00",
            "--max-connections=2000",
            "--performance-schema=OFF",
            "--table-open-cache=4000",
            "--max-allowed-packet=1G",
            "--log-bin=mariadb-bin",
            // The migrator creates triggers (shard moves capture and fence in them) with an account without SUPER, which the
            // binary log refuses unless the server trusts function creators (docs/migration.md, "The migrator's account").
            "--log-bin-trust-function-creators=1",
            "--binlog-format=ROW",
            "--log-slave-updates=ON",
            "--gtid-strict-mode=ON",
            $"--gtid-domain-id={GtidDomainId}",
            "--slave-net-timeout=5",
            "--sync-binlog=0",
        };
        arguments.AddRange(StorageArguments());
        if (Role == MariaDbRole.Replica)
        {
            arguments.Add("--read-only=ON");
            arguments.Add($"--relay-log={Name}-relay");
            // Replication threads are started by the harness, never by the server itself: after a SIGKILL the slave
            // position may have to be repaired before the SQL thread runs (see StartReplicationAfterRestartAsync).
            arguments.Add("--skip-slave-start");
        }

        if (_topology.Certificates is { } tls)
        {
            arguments.Add($"--ssl-ca={tls.CaPath}");
            arguments.Add($"--ssl-cert={tls.CertificatePath}");
            arguments.Add($"--ssl-key={tls.KeyPath}");
        }

        return arguments;
    }

    private IEnumerable<string> StorageArguments() =>
    [
        // Real InnoDB, tuned for tests: small logs, no fsync per commit (a killed process still loses nothing).
        $"--innodb-buffer-pool-size={_topology.Options.BufferPoolMegabytes}M",
        "--innodb-log-file-size=32M",
        "--innodb-flush-log-at-trx-commit=2",
        "--innodb-file-per-table=OFF",
        "--innodb-doublewrite=OFF",
    ];

    private static void SendSignal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        kill?.WaitForExit();
    }

    private string ConnectionStringFor(string user, string password) => _topology.CaCertificatePath is { } ca
        ? string.Create(CultureInfo.InvariantCulture, $"Server={Host};Port={Port};User ID={user};Password={password};SslMode=VerifyCA;SslCa={ca}")
        : string.Create(CultureInfo.InvariantCulture, $"Server={Host};Port={Port};User ID={user};Password={password};SslMode=None");

    internal static string Tail(string text, int lines = 8) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(lines));
}

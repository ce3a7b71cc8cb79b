using ShardKit.Testing.Internal;

namespace ShardKit.Testing;

public sealed partial class MariaDbServer
{
    /// <summary>
    /// Runs SQL as root over the server's Unix socket (through the <c>mariadb</c> client, independent of any driver)
    /// and returns what it printed: one line per row, tab-separated columns, no header.
    /// </summary>
    public async Task<string> ExecuteAsync(string sql, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        var (exitCode, output, error) = await RunClientAsync(sql, TimeSpan.FromMinutes(5), cancellationToken).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new MariaDbTopologyException($"SQL failed on {Name}: {error.Trim()}");
        }

        return output;
    }

    /// <summary>Runs a query as root and returns the first column of the first row, or null when there is no row.</summary>
    public async Task<string?> QueryScalarAsync(string sql, CancellationToken cancellationToken = default)
    {
        var output = await ExecuteAsync(sql, cancellationToken).ConfigureAwait(false);
        var firstLine = output.Split('\n', 2)[0];
        if (firstLine.Length == 0)
        {
            return null;
        }

        var value = firstLine.Split('\t', 2)[0];
        return value == "NULL" ? null : value;
    }

    /// <summary>The GTID position of everything this server has written (primary) or applied (replica).</summary>
    public async Task<string> GetGtidPositionAsync(CancellationToken cancellationToken = default) =>
        await QueryScalarAsync(Gtid.CurrentPositionQuery(Role), cancellationToken).ConfigureAwait(false) ?? "";

    /// <summary>Stops the replica's SQL thread: events keep arriving but are not applied, so the replica lags.</summary>
    public Task PauseReplicationAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync(Gtid.PauseApplySql, RequireReplica(cancellationToken));

    /// <summary>Starts the replica's SQL thread again after <see cref="PauseReplicationAsync"/>.</summary>
    public Task ResumeReplicationAsync(CancellationToken cancellationToken = default) =>
        ExecuteAsync(Gtid.ResumeApplySql, RequireReplica(cancellationToken));

    /// <summary>Waits until this replica has applied everything its primary had written when the call started.</summary>
    public async Task WaitForReplicationAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        RequireReplica(cancellationToken);
        var position = await Source!.GetGtidPositionAsync(cancellationToken).ConfigureAwait(false);
        if (position.Length == 0)
        {
            return;
        }

        var result = await QueryScalarAsync(Gtid.WaitForPositionQuery(position, timeout), cancellationToken).ConfigureAwait(false);
        if (result != "0")
        {
            // With column names: ExecuteAsync's --skip-column-names would leave only the bare values of the \\G output.
            var (_, status, _) = await RunClientAsync("SHOW SLAVE STATUS\\G", columnNames: true, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            var state = string.Join("; ", status.Split('\n').Select(l => l.Trim())
                .Where(l => l.StartsWith("Slave_IO_Running", StringComparison.Ordinal) || l.StartsWith("Slave_SQL_Running:", StringComparison.Ordinal) || l.StartsWith("Gtid_IO_Pos", StringComparison.Ordinal) || l.StartsWith("Last_", StringComparison.Ordinal) && !l.EndsWith(':')));
            throw new TimeoutException($"{Name} did not reach {Source.Name}'s GTID position {position} within {timeout.TotalSeconds:0.#} s ({state}).");
        }
    }

    internal async Task ConfigureReplicationAsync(string replicationUser, string replicationPassword, CancellationToken cancellationToken)
    {
        await ExecuteAsync(
            Gtid.StartReplicationSql(Source!.Host, Source.Port, replicationUser, replicationPassword),
            cancellationToken).ConfigureAwait(false);
        _replicationConfigured = true;
    }

    /// <summary>
    /// Starts the replication threads of a replica that was restarted (with <c>--skip-slave-start</c>). A SIGKILL
    /// between a replicated DDL statement reaching the replica's binlog and its GTID reaching
    /// <c>mysql.gtid_slave_pos</c> (MariaDB records it in a separate transaction after DDL) leaves the slave position
    /// one event group behind what was applied; resuming from there re-applies the DDL, which gtid_strict_mode
    /// refuses (error 1950: out-of-order GTID) and the SQL thread stops for good. So the position is first moved up to
    /// the replicated GTIDs the replica's own binlog proves it applied.
    /// </summary>
    private async Task StartReplicationAfterRestartAsync(CancellationToken cancellationToken)
    {
        var positions = (await ExecuteAsync(Gtid.SlaveAndBinlogPositionQuery, cancellationToken).ConfigureAwait(false)).Split('\n', 2)[0].Split('\t');
        var recovered = Gtid.RecoveredSlavePosition(positions[0], positions.Length > 1 ? positions[1] : "", ServerId);
        if (recovered is not null)
        {
            await ExecuteAsync(Gtid.SetSlavePositionSql(recovered), cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(Gtid.StartSql, cancellationToken).ConfigureAwait(false);
    }

    internal Task<(int ExitCode, string Output, string Error)> RunClientAsync(string sql, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunClientAsync(sql, columnNames: false, timeout, cancellationToken);

    private Task<(int ExitCode, string Output, string Error)> RunClientAsync(string sql, bool columnNames, TimeSpan timeout, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(
            ServerBinaries.Find().Client,
            ["--no-defaults", $"--socket={SocketPath}", "--user=root", "--batch", columnNames ? "--column-names" : "--skip-column-names", "--raw"],
            sql,
            timeout,
            cancellationToken);

    private CancellationToken RequireReplica(CancellationToken cancellationToken)
    {
        if (Role != MariaDbRole.Replica)
        {
            throw new InvalidOperationException($"{Name} is a {Role.ToString().ToLowerInvariant()}, not a replica.");
        }

        return cancellationToken;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ShardKit.Testing;

namespace ShardKit.IntegrationTests.Testing;

/// <summary>The harness itself: real processes, real replication, real faults. Each test owns its topology.</summary>
public sealed class MariaDbTopologyTests
{
    private static readonly TimeSpan s_catchUp = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RowWrittenOnEachPrimaryAppearsOnItsReplica()
    {
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 1 });

        foreach (var cluster in topology.Clusters)
        {
            await cluster.Primary.ExecuteAsync($"CREATE DATABASE t; CREATE TABLE t.r (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t.r VALUES (1, '{cluster.Name}');");
        }

        foreach (var cluster in topology.Clusters)
        {
            await cluster.WaitForReplicationAsync(s_catchUp);
            Assert.Equal(cluster.Name, await cluster.Replicas[0].QueryScalarAsync("SELECT v FROM t.r WHERE id = 1"));
        }
    }

    [Fact]
    public async Task ReplicasAreReadOnlyForTheApplicationAccount()
    {
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 1 });
        var replica = topology.Clusters[0].Replicas[0];

        Assert.Equal("1", await replica.QueryScalarAsync("SELECT @@read_only"));
        var grants = await replica.ExecuteAsync($"SHOW GRANTS FOR '{topology.User}'@'%'");
        Assert.DoesNotContain("SUPER", grants, StringComparison.Ordinal);
        Assert.DoesNotContain("READ_ONLY ADMIN", grants, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheMigratorAccountHoldsExactlyTheDocumentedGrantsAndTheServersTrustTriggerCreators()
    {
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 1, Legacy = true, Tls = false });
        var primary = topology.Clusters[0].Primary;
        var replica = topology.Clusters[0].Replicas[0];
        Assert.Equal("shardkit_migrator", topology.MigratorUser);

        // docs/migration.md, "The migrator's account": these and nothing else (no SUPER, no global write privilege).
        string[] cluster =
        [
            "GRANT SLAVE MONITOR ON *.* TO `shardkit_migrator`@`%`",
            "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, TRIGGER ON `sk\\_user\\_%`.* TO `shardkit_migrator`@`%`",
            "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, TRIGGER ON `sk\\_merchant\\_%`.* TO `shardkit_migrator`@`%`",
            "GRANT SELECT, INSERT, UPDATE, CREATE ON `shardkit`.* TO `shardkit_migrator`@`%`",
            "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON `shardkit_control`.* TO `shardkit_migrator`@`%`",
        ];
        string[] legacy =
        [
            "GRANT USAGE ON *.* TO `shardkit_migrator`@`%`",
            "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, TRIGGER ON `legacy`.* TO `shardkit_migrator`@`%`",
        ];
        Assert.Equal(cluster.Order(StringComparer.Ordinal), await GrantsAsync(primary));
        Assert.Equal(cluster.Order(StringComparer.Ordinal), await GrantsAsync(replica));
        Assert.Equal(legacy.Order(StringComparer.Ordinal), await GrantsAsync(topology.Legacy!));

        // With the binary log on, an account without SUPER may create triggers only where the server trusts their creators.
        foreach (var server in topology.Servers)
        {
            Assert.Equal("1", await server.QueryScalarAsync("SELECT @@log_bin"));
            Assert.Equal("1", await server.QueryScalarAsync("SELECT @@log_bin_trust_function_creators"));
        }

        // What the copy throttle reads (ServerLoadProbe), with the migrator's own account: a replica's lag, the legacy server's Threads_running.
        await using (var connection = new MySqlConnector.MySqlConnection(replica.MigratorConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new MySqlConnector.MySqlCommand("SHOW ALL SLAVES STATUS", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync(), "the migrator's account sees no replication status on the replica");
            Assert.Equal("0", Convert.ToString(reader.GetValue(reader.GetOrdinal("Seconds_Behind_Master")), CultureInfo.InvariantCulture));
        }

        await using (var connection = new MySqlConnector.MySqlConnection(topology.Legacy!.MigratorConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new MySqlConnector.MySqlCommand("SHOW GLOBAL STATUS LIKE 'Threads_running'", connection);
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.True(long.Parse(reader.GetString(1), CultureInfo.InvariantCulture) >= 1);
        }

        using var json = JsonDocument.Parse(topology.ToMigratorConfigurationJson());
        var primaryConnection = new MySqlConnector.MySqlConnectionStringBuilder(json.RootElement.GetProperty("ShardKit").GetProperty("Clusters")[0].GetProperty("Primary").GetString()!);
        Assert.Equal("shardkit_migrator", primaryConnection.UserID);
        Assert.Equal(topology.MigratorPassword, primaryConnection.Password);
    }

    /// <summary>The account's grants as the server lists them, without the password hash, in order.</summary>
    private static async Task<List<string>> GrantsAsync(MariaDbServer server) =>
        (await server.ExecuteAsync("SHOW GRANTS FOR 'shardkit_migrator'@'%'"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(g => g.Split(" IDENTIFIED BY ", 2)[0].Replace(@"\\", @"\", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    [Fact]
    public async Task KilledReplicaResumesReplicationAfterRestart()
    {
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 1 });
        var primary = topology.Clusters[0].Primary;
        var replica = topology.Clusters[0].Replicas[0];
        await primary.ExecuteAsync("CREATE DATABASE t; CREATE TABLE t.r (id INT PRIMARY KEY);");

        await replica.KillAsync();
        Assert.False(replica.IsRunning);
        await primary.ExecuteAsync("INSERT INTO t.r VALUES (1), (2), (3);");
        await replica.StartAsync();
        await primary.ExecuteAsync("INSERT INTO t.r VALUES (4);");

        await replica.WaitForReplicationAsync(s_catchUp);
        Assert.Equal("4", await replica.QueryScalarAsync("SELECT COUNT(*) FROM t.r"));
    }

    [Fact]
    public async Task ReplicaKilledBetweenApplyingDdlAndRecordingItsGtidResumesAfterRestart()
    {
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 1 });
        var primary = topology.Clusters[0].Primary;
        var replica = topology.Clusters[0].Replicas[0];
        await primary.ExecuteAsync("CREATE DATABASE t; CREATE TABLE t.r (id INT PRIMARY KEY);");
        await replica.WaitForReplicationAsync(s_catchUp);

        // The state a SIGKILL leaves when it lands after the replica ran and binlogged CREATE TABLE but before MariaDB
        // recorded its GTID in mysql.gtid_slave_pos (a separate transaction for DDL): the slave position one behind.
        var created = await primary.GetGtidPositionAsync();
        var parts = created.Split('-');
        var beforeCreate = $"{parts[0]}-{parts[1]}-{long.Parse(parts[2], CultureInfo.InvariantCulture) - 1}";
        await replica.ExecuteAsync($"STOP SLAVE; SET GLOBAL gtid_slave_pos = '{beforeCreate}';");
        Assert.Equal(created, await replica.QueryScalarAsync("SELECT @@GLOBAL.gtid_binlog_pos"));
        await replica.KillAsync();

        await primary.ExecuteAsync("INSERT INTO t.r VALUES (1), (2), (3);");
        await replica.StartAsync();
        await primary.ExecuteAsync("INSERT INTO t.r VALUES (4);");

        await replica.WaitForReplicationAsync(s_catchUp);
        Assert.Equal("4", await replica.QueryScalarAsync("SELECT COUNT(*) FROM t.r"));
        Assert.Equal(await primary.GetGtidPositionAsync(), await replica.QueryScalarAsync("SELECT @@GLOBAL.gtid_binlog_pos"));
    }

    [Fact]
    public async Task KilledPrimaryRestartsOnTheSamePortWithItsData()
    {
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 1 });
        var primary = topology.Clusters[0].Primary;
        var port = primary.Port;
        await primary.ExecuteAsync("CREATE DATABASE t; CREATE TABLE t.r (id INT PRIMARY KEY); INSERT INTO t.r VALUES (1);");

        await primary.KillAsync();
        await primary.StartAsync();
        await primary.ExecuteAsync("INSERT INTO t.r VALUES (2);");

        Assert.Equal(port, primary.Port);
        Assert.Equal("2", await primary.QueryScalarAsync("SELECT COUNT(*) FROM t.r"));
        await topology.Clusters[0].WaitForReplicationAsync(s_catchUp);
        Assert.Equal("2", await topology.Clusters[0].Replicas[0].QueryScalarAsync("SELECT COUNT(*) FROM t.r"));
    }

    [Fact]
    public async Task PausedSqlThreadShowsMeasurableLagUntilResumed()
    {
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 1 });
        var primary = topology.Clusters[0].Primary;
        var replica = topology.Clusters[0].Replicas[0];
        await primary.ExecuteAsync("CREATE DATABASE t; CREATE TABLE t.r (id INT PRIMARY KEY);");
        await replica.WaitForReplicationAsync(s_catchUp);

        await replica.PauseReplicationAsync();
        await primary.ExecuteAsync("INSERT INTO t.r VALUES (1);");
        await Task.Delay(300);

        Assert.Equal("0", await replica.QueryScalarAsync("SELECT COUNT(*) FROM t.r"));
        Assert.NotEqual(await primary.GetGtidPositionAsync(), await replica.GetGtidPositionAsync());
        await Assert.ThrowsAsync<TimeoutException>(() => replica.WaitForReplicationAsync(TimeSpan.FromMilliseconds(500)));

        await replica.ResumeReplicationAsync();
        await replica.WaitForReplicationAsync(s_catchUp);
        Assert.Equal("1", await replica.QueryScalarAsync("SELECT COUNT(*) FROM t.r"));
    }

    [Fact]
    public async Task DisposeLeavesNoServerProcessAndNoDirectory()
    {
        var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 1, Legacy = true });
        var pids = topology.Servers.Select(s => s.ProcessId!.Value).ToList();
        var directory = topology.Directory;
        Assert.Equal(3, pids.Count);
        Assert.All(pids, pid => Assert.True(IsAlive(pid)));

        await topology.DisposeAsync();

        Assert.All(pids, pid => Assert.False(IsAlive(pid), $"mariadbd {pid} still runs"));
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public async Task StaleTopologyOfADeadOwnerIsCleanedAtTheNextStart()
    {
        var baseDirectory = Path.Combine(Path.GetTempPath(), "shardkit-stale-test-" + Guid.NewGuid().ToString("N")[..8]);
        var stale = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 0, BaseDirectory = baseDirectory });
        var stalePid = stale.Servers.Single().ProcessId!.Value;
        // Pretend the owner died: a process ID that cannot be running.
        File.WriteAllText(Path.Combine(stale.Directory, "owner"), "2147483646 0");

        await using (var next = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 1, Replicas = 0, BaseDirectory = baseDirectory }))
        {
            Assert.False(IsAlive(stalePid), "the stale server was not stopped");
            Assert.False(Directory.Exists(stale.Directory), "the stale directory was not removed");
        }

        await stale.DisposeAsync();
        Directory.Delete(baseDirectory, recursive: true);
    }

    [Fact]
    public async Task ConfigurationJsonListsEveryClusterWithWorkingEndpoints()
    {
        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 1, Legacy = true });

        using var json = JsonDocument.Parse(topology.ToConfigurationJson());
        var root = json.RootElement.GetProperty("ShardKit");
        var clusters = root.GetProperty("Clusters").EnumerateArray().ToList();
        Assert.Equal(["c0", "c1"], clusters.Select(c => c.GetProperty("Name").GetString()));
        for (var i = 0; i < clusters.Count; i++)
        {
            Assert.Equal(topology.Clusters[i].Primary.ConnectionString, clusters[i].GetProperty("Primary").GetString());
            Assert.Equal(topology.Clusters[i].Replicas[0].ConnectionString, clusters[i].GetProperty("Replicas")[0].GetString());
        }

        Assert.Equal(topology.Legacy!.ConnectionString, root.GetProperty("Legacy").GetString());
        Assert.Contains($"Port={topology.Legacy.Port}", topology.Legacy.ConnectionString, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(17, 1)]
    [InlineData(1, -1)]
    [InlineData(1, 5)]
    public async Task AbsurdCountsAreRefusedBeforeAnythingStarts(int clusters, int replicas)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = clusters, Replicas = replicas }));
    }

    [Fact]
    public async Task AnApplicationAccountNamedLikeTheMigratorsIsRefusedBeforeAnythingStarts()
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() =>
            MariaDbTopology.StartAsync(new MariaDbTopologyOptions { User = "shardkit_migrator" }));
        Assert.Contains("the migrator's account", refused.Message, StringComparison.Ordinal);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

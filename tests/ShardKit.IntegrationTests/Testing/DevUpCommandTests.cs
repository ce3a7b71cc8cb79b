using System.Diagnostics;
using System.Text.Json;

namespace ShardKit.IntegrationTests.Testing;

/// <summary><c>shardkit dev up</c> as a DBA runs it: a real process, stopped with SIGTERM.</summary>
public sealed class DevUpCommandTests
{
    [Fact]
    public async Task DevUpWritesAWorkingTopologyAndSigtermLeavesNothingRunning()
    {
        var config = Path.Combine(Path.GetTempPath(), $"shardkit-devup-{Guid.NewGuid():N}.json");
        var migratorConfig = Path.Combine(Path.GetTempPath(), $"shardkit-devup-migrator-{Guid.NewGuid():N}.json");
        var cli = CliAssemblyPath();
        var startInfo = new ProcessStartInfo("dotnet", [cli, "dev", "up", "--clusters", "2", "--replicas", "1", "--write-config", config, "--write-migrator-config", migratorConfig])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            var waited = Stopwatch.StartNew();
            while (!File.Exists(config) || new FileInfo(config).Length == 0 || !File.Exists(migratorConfig) || new FileInfo(migratorConfig).Length == 0)
            {
                if (process.HasExited)
                {
                    Assert.Fail("dev up exited early: " + await errors);
                }

                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "dev up wrote no configuration within 60 s");
                await Task.Delay(100);
            }

            await Task.Delay(200);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(config));
            var clusters = json.RootElement.GetProperty("ShardKit").GetProperty("Clusters").EnumerateArray().ToList();
            Assert.Equal(2, clusters.Count);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));   // it holds the password
            }

            var ports = clusters.SelectMany(c => c.GetProperty("Replicas").EnumerateArray().Select(r => r.GetString()!).Prepend(c.GetProperty("Primary").GetString()!))
                .Select(cs => int.Parse(cs.Split(';').Single(p => p.StartsWith("Port=", StringComparison.Ordinal))[5..]))
                .ToList();
            Assert.Equal(4, ports.Distinct().Count());

            // TLS by default: the written connection strings verify the servers against the CA dev up generated.
            var primary = new MySqlConnector.MySqlConnectionStringBuilder(clusters[0].GetProperty("Primary").GetString()!);
            Assert.Equal(MySqlConnector.MySqlSslMode.VerifyCA, primary.SslMode);
            Assert.True(File.Exists(primary.SslCa), $"the CA file '{primary.SslCa}' does not exist");
            await using (var connection = new MySqlConnector.MySqlConnection(primary.ConnectionString))
            {
                await connection.OpenAsync();
                await using var cipher = new MySqlConnector.MySqlCommand("SHOW SESSION STATUS LIKE 'Ssl_cipher'", connection);
                await using var reader = await cipher.ExecuteReaderAsync();
                Assert.True(await reader.ReadAsync());
                Assert.NotEqual("", reader.GetString(1));
            }

            // The migrator's configuration: the same servers, the migrator's account (no SUPER), and servers that let it create triggers.
            using (var migratorJson = JsonDocument.Parse(await File.ReadAllTextAsync(migratorConfig)))
            {
                if (!OperatingSystem.IsWindows())
                {
                    Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(migratorConfig));
                }

                var migrator = new MySqlConnector.MySqlConnectionStringBuilder(
                    migratorJson.RootElement.GetProperty("ShardKit").GetProperty("Clusters")[0].GetProperty("Primary").GetString()!);
                Assert.Equal("shardkit_migrator", migrator.UserID);
                Assert.Equal(primary.Port, migrator.Port);
                await using var connection = new MySqlConnector.MySqlConnection(migrator.ConnectionString);
                await connection.OpenAsync();
                await using var command = new MySqlConnector.MySqlCommand("SELECT CONCAT(CURRENT_USER(), ' ', @@log_bin, ' ', @@log_bin_trust_function_creators)", connection);
                Assert.Equal("shardkit_migrator@% ON ON", (string?)await command.ExecuteScalarAsync());
            }

            var serverPids = ServerPidsListeningOn(ports);
            Assert.Equal(4, serverPids.Count);

            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            using var exitTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exitTimeout.Token);

            Assert.True(process.ExitCode == 0, $"dev up exited with {process.ExitCode} after SIGTERM: {await errors}\n{await output}");
            Assert.Contains("Stopped", await output, StringComparison.Ordinal);
            Assert.All(serverPids, pid => Assert.False(File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(" Z ", StringComparison.Ordinal), $"mariadbd {pid} still runs"));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            File.Delete(config);
            File.Delete(migratorConfig);
        }
    }

    /// <summary>The CLI as built in its own project (with its runtimeconfig), in the configuration of this test run.</summary>
    private static string CliAssemblyPath()
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var root = output;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ShardKit.sln")))
        {
            root = root.Parent;
        }

        var binaries = Path.Combine(root!.FullName, "src", "ShardKit.Migrations", "bin", configuration, framework);
        return Path.Combine(binaries, "ShardKit.Migrations.dll");
    }

    private static List<int> ServerPidsListeningOn(IEnumerable<int> ports)
    {
        var wanted = ports.Select(p => $"--port={p}").ToHashSet();
        var pids = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
                if (arguments.Length > 0 && arguments[0].EndsWith("mariadbd", StringComparison.Ordinal) && arguments.Any(wanted.Contains))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return pids;
    }
}

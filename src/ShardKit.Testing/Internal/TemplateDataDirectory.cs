using System.Security.Cryptography;
using System.Text;

namespace ShardKit.Testing.Internal;

/// <summary>
/// <c>mariadb-install-db</c> takes seconds and does the same work for every server, so it runs once per machine, server
/// version and storage settings into a template directory; every server starts from a copy of it.
/// </summary>
internal static class TemplateDataDirectory
{
    private static readonly SemaphoreSlim s_gate = new(1, 1);

    public static async Task<string> EnsureAsync(IReadOnlyList<string> storageArguments, CancellationToken cancellationToken)
    {
        var binaries = ServerBinaries.Find();
        var identity = string.Join('\n', storageArguments.Prepend(binaries.Server).Append(File.GetLastWriteTimeUtc(binaries.Server).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        var root = Path.Combine(Path.GetTempPath(), "shardkit-templates");
        var template = Path.Combine(root, key);
        var ready = Path.Combine(template, "ready");
        if (File.Exists(ready))
        {
            return Path.Combine(template, "data");
        }

        await s_gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(root);
            // Other processes (parallel test runs) may build the same template: a lock file serialises them.
            using var lockFile = await AcquireLockAsync(Path.Combine(root, key + ".lock"), cancellationToken).ConfigureAwait(false);
            if (File.Exists(ready))
            {
                return Path.Combine(template, "data");
            }

            StaleTopologies.TryDelete(template);
            var data = Path.Combine(template, "data");
            var temporary = Path.Combine(template, "tmp");
            Directory.CreateDirectory(data);
            Directory.CreateDirectory(temporary);
            var (exitCode, output, error) = await ProcessRunner.RunAsync(
                binaries.InstallDb,
                [
                    "--no-defaults",
                    $"--datadir={data}",
                    $"--tmpdir={temporary}",
                    "--auth-root-authentication-method=socket",
                    "--skip-test-db",
                    "--user=root",
                    .. storageArguments,
                ],
                standardInput: null,
                TimeSpan.FromSeconds(120),
                cancellationToken).ConfigureAwait(false);
            if (exitCode != 0)
            {
                throw new MariaDbTopologyException($"mariadb-install-db failed (exit {exitCode}): {MariaDbServer.Tail(output + error)}");
            }

            await File.WriteAllTextAsync(ready, DateTime.UtcNow.ToString("O"), cancellationToken).ConfigureAwait(false);
            return data;
        }
        finally
        {
            s_gate.Release();
        }
    }

    public static void CopyTo(string template, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var directory in Directory.EnumerateDirectories(template, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(destination, Path.GetRelativePath(template, directory)));
        }

        foreach (var file in Directory.EnumerateFiles(template, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(destination, Path.GetRelativePath(template, file)), overwrite: true);
        }
    }

    private static async Task<FileStream> AcquireLockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

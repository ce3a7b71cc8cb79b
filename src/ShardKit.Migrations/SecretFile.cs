using System.Text;

namespace ShardKit.Migrations;

/// <summary>
/// Files that hold passwords (topology files with connection strings): written readable by their owner only (mode
/// 0600), whatever the umask and whatever the mode of a file they replace; their paths are checked before any work starts.
/// </summary>
internal static class SecretFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Checks that <paramref name="path"/> can be written before the work that produces its content starts (servers,
    /// moves): its folder exists and a file can be created there.
    /// </summary>
    /// <param name="path">The path as given.</param>
    /// <param name="option">The option that named it, for the message.</param>
    /// <returns>The full path.</returns>
    /// <exception cref="CliException">A usage error naming the option and the path.</exception>
    public static string CheckWritable(string path, string option)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw CliException.Usage($"{option}: '{path}' is not a valid path.");
        }

        if (Directory.Exists(full))
        {
            throw CliException.Usage($"{option}: '{path}' is a directory; name a file.");
        }

        var folder = Path.GetDirectoryName(full);
        if (folder is null || !Directory.Exists(folder))
        {
            throw CliException.Usage($"{option}: the directory '{folder ?? path}' does not exist.");
        }

        // Create (and remove) a file beside it: the only check that holds for permissions, read-only mounts and ACLs.
        var probe = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.probe");
        try
        {
            using (Create(probe))
            {
            }

            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"{option}: cannot write to '{folder}': {ex.Message}");
        }

        return full;
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> with mode 0600 (replacing the file atomically).</summary>
    public static async Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        var temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            await using (var stream = Create(temporary))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static FileStream Create(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        var stream = new FileStream(path, options);
        if (!OperatingSystem.IsWindows())
        {
            // FileMode.Create keeps the mode of a file that was already there.
            File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnly);
        }

        return stream;
    }
}

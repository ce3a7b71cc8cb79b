namespace ShardKit.Testing.Internal;

/// <summary>Finds the MariaDB server, installer and client programs.</summary>
internal sealed record ServerBinaries(string Server, string InstallDb, string Client)
{
    public const string InstallHint = "MariaDB is not installed. Install it with: sudo apt-get install -y mariadb-server mariadb-client";

    private static readonly string[] s_directories = ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin", "/usr/libexec", "/opt/mariadb/bin"];

    private static ServerBinaries? s_found;

    public static ServerBinaries Find()
    {
        if (s_found is not null)
        {
            return s_found;
        }

        var server = Locate("mariadbd") ?? Locate("mysqld");
        var install = Locate("mariadb-install-db") ?? Locate("mysql_install_db");
        var client = Locate("mariadb") ?? Locate("mysql");
        if (server is null || install is null || client is null)
        {
            var missing = string.Join(", ", new[] { (server, "mariadbd"), (install, "mariadb-install-db"), (client, "mariadb") }
                .Where(p => p.Item1 is null).Select(p => p.Item2));
            throw new MariaDbTopologyException($"{InstallHint} (missing: {missing}).");
        }

        return s_found = new ServerBinaries(server, install, client);
    }

    private static string? Locate(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(s_directories))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

using System.Diagnostics;

namespace ShardKit.Tests.Packaging;

/// <summary>
/// The packable projects packed once (<c>dotnet pack --no-build</c> of the configuration these tests were built in) into a
/// temporary folder, as a user would make them.
/// </summary>
public sealed class PackedPackages : IDisposable
{
    /// <summary>Every project that ships as a package, with the package ID it has.</summary>
    public static readonly string[] Projects = ["src/ShardKit", "src/ShardKit.Testing", "src/ShardKit.Migrations"];

    public PackedPackages()
    {
        RepositoryRoot = FindRepositoryRoot();
        Configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        Directory = System.IO.Directory.CreateTempSubdirectory("shardkit-pack-").FullName;
        foreach (var project in Projects)
        {
            var (exitCode, output) = Run(Dotnet, RepositoryRoot, ["pack", project, "-c", Configuration, "--no-build", "-o", Directory, "-nologo"], environment: null, TimeSpan.FromMinutes(5));
            if (exitCode != 0 || output.Contains(" warning ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"`dotnet pack {project}` exited {exitCode} (or warned): {output}");
            }
        }
    }

    /// <summary>The dotnet host the tests run under (the SDK's).</summary>
    public static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public string RepositoryRoot { get; }

    public string Configuration { get; }

    /// <summary>The folder holding the .nupkg and .snupkg files.</summary>
    public string Directory { get; }

    /// <summary>The package file of <paramref name="id"/> (exactly one).</summary>
    public string Package(string id, string extension = ".nupkg") =>
        System.IO.Directory.GetFiles(Directory, id + ".*" + extension)
            .Single(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), $@"^{System.Text.RegularExpressions.Regex.Escape(id)}\.\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?{System.Text.RegularExpressions.Regex.Escape(extension)}$"));

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>Runs a process to its end; returns its exit code and its output and error together.</summary>
    public static (int ExitCode, string Output) Run(string fileName, string workingDirectory, IEnumerable<string> args, IDictionary<string, string>? environment, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["NO_COLOR"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{fileName} could not be started.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{fileName} {string.Join(' ', startInfo.ArgumentList)}` took longer than {timeout}.");
        }

        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ShardKit.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No ShardKit.sln above {AppContext.BaseDirectory}.");
    }
}

[CollectionDefinition("Packages")]
public sealed class PackagesCollection : ICollectionFixture<PackedPackages>;

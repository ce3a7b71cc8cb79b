using System.Text.Json;

namespace ShardKit.Tests.Packaging;

/// <summary>
/// The tool installed from the packed package with <c>dotnet tool install</c>, then run where the only shared framework is
/// Microsoft.NETCore.App (a DOTNET_ROOT holding the dotnet host and that framework alone, as on a DBA's bastion host).
/// </summary>
[Collection("Packages")]
public sealed class RuntimeOnlyToolTests(PackedPackages packages) : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private readonly string _directory = Directory.CreateTempSubdirectory("shardkit-runtime-only-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void TheInstalledToolRunsItsCommandsWithOnlyTheNetCoreRuntime()
    {
        var root = RuntimeOnlyRoot();
        var tools = Path.Combine(_directory, "tools");
        var version = Path.GetFileName(packages.Package("ShardKit.Migrations"))["ShardKit.Migrations.".Length..^".nupkg".Length];
        var install = PackedPackages.Run(
            PackedPackages.Dotnet, _directory,
            ["tool", "install", "--tool-path", tools, "--add-source", packages.Directory, "--version", version, "ShardKit.Migrations"],
            new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_directory, "nuget") },   // never a cached package of the same version
            s_timeout);
        Assert.True(install.ExitCode == 0, install.Output);
        var shardkit = Path.Combine(tools, OperatingSystem.IsWindows() ? "shardkit.exe" : "shardkit");
        var environment = new Dictionary<string, string> { ["DOTNET_ROOT"] = root, ["DOTNET_ROLL_FORWARD"] = "Major" };

        var help = PackedPackages.Run(shardkit, _directory, ["--help"], environment, s_timeout);
        Assert.True(help.ExitCode == 0, help.Output);
        Assert.Contains("shardkit [command] [options]", help.Output, StringComparison.Ordinal);

        var decode = PackedPackages.Run(shardkit, _directory, ["id", "decode", "81985529216486895", "--json"], environment, s_timeout);
        Assert.True(decode.ExitCode == 0, decode.Output);
        Assert.Equal(213, JsonDocument.Parse(decode.Output).RootElement.GetProperty("workerId").GetInt32());

        var usage = PackedPackages.Run(shardkit, _directory, ["topology", "validate", "--config", "missing.json"], environment, s_timeout);
        Assert.Equal(2, usage.ExitCode);
        Assert.Equal("error: the config file 'missing.json' does not exist.", usage.Output.Trim());

        var demo = PackedPackages.Run(shardkit, _directory, ["demo", "--json"], environment, s_timeout);
        Assert.Equal(2, demo.ExitCode);
        Assert.Contains("OrderService", demo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void TheRuntimeOnlyRootHasNoAspNetCore()
    {
        // The check above means something only if an ASP.NET Core application cannot run there: the sample exits 150.
        var sample = Path.Combine(packages.RepositoryRoot, "samples", "OrderService", "bin", packages.Configuration, "net10.0", "OrderService.dll");
        Assert.True(File.Exists(sample), $"{sample} is not built");
        var root = RuntimeOnlyRoot();

        var (exitCode, output) = PackedPackages.Run(Path.Combine(root, "dotnet"), _directory, [sample, "--help"], new Dictionary<string, string> { ["DOTNET_ROOT"] = root }, s_timeout);

        Assert.True(exitCode == 150, $"exit {exitCode}: {output}");
        Assert.Contains("Microsoft.AspNetCore.App", output, StringComparison.Ordinal);
    }

    /// <summary>A dotnet root with the host, hostfxr and Microsoft.NETCore.App only (copied host, linked framework).</summary>
    private string RuntimeOnlyRoot()
    {
        var dotnet = PackedPackages.Dotnet == "dotnet" ? FindOnPath("dotnet") : PackedPackages.Dotnet;
        var installed = Path.GetDirectoryName(new FileInfo(dotnet).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? dotnet)!;
        var root = Path.Combine(_directory, "dotnet-runtime-only");
        Directory.CreateDirectory(Path.Combine(root, "shared"));
        File.Copy(Path.Combine(installed, Path.GetFileName(dotnet)), Path.Combine(root, Path.GetFileName(dotnet)));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(root, Path.GetFileName(dotnet)), (UnixFileMode)0b111_101_101);
        }

        CopyDirectory(Path.Combine(installed, "host"), Path.Combine(root, "host"));
        Directory.CreateSymbolicLink(Path.Combine(root, "shared", "Microsoft.NETCore.App"), Path.Combine(installed, "shared", "Microsoft.NETCore.App"));
        Assert.False(Directory.Exists(Path.Combine(root, "shared", "Microsoft.AspNetCore.App")));
        return root;
    }

    private static string FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is not on the PATH.");

    private static void CopyDirectory(string from, string to)
    {
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(directory.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }
}

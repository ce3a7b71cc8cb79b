using ShardKit.Migrations;
using ShardKit.Migrations.Commands;

namespace ShardKit.Tests.Cli;

/// <summary>Files that hold passwords are written 0600, and passwords can stay off the command line.</summary>
[Collection("Console")]
public sealed class SecretFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("shardkit-secret-").FullName;

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(MigrateCommand.SourcePasswordVariable, null);
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task WritesOwnerOnlyEvenOverAWorldReadableFile()
    {
        if (OperatingSystem.IsWindows())
        {
            return;   // Unix file modes only
        }

        var path = Path.Combine(_directory, "topo.json");
        await File.WriteAllTextAsync(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await SecretFile.WriteAllTextAsync(path, "{\"ShardKit\":{}}", CancellationToken.None);

        Assert.Equal("{\"ShardKit\":{}}", await File.ReadAllTextAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void RefusesADirectoryOrAMissingFolder()
    {
        Assert.Equal(2, Assert.Throws<CliException>(() => SecretFile.CheckWritable(_directory, "--write-config")).ExitCode);
        Assert.Contains("does not exist", Assert.Throws<CliException>(() => SecretFile.CheckWritable(Path.Combine(_directory, "no", "x.json"), "--write-config")).Message, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(_directory, "x.json"), SecretFile.CheckWritable(Path.Combine(_directory, "x.json"), "--write-config"));
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public void TheSourcePasswordComesFromAFileFirstThenTheEnvironment()
    {
        var file = Path.Combine(_directory, "password");
        File.WriteAllText(file, "from-file\n");
        Environment.SetEnvironmentVariable(MigrateCommand.SourcePasswordVariable, "from-env");
        const string source = "Server=127.0.0.1;Port=3306;User ID=legacy;Password=typed;Database=legacy";

        var fromFile = MigrateCommand.LegacyConnectionString(source, new FileInfo(file))!;
        var fromEnvironment = MigrateCommand.LegacyConnectionString(source, passwordFile: null)!;
        Environment.SetEnvironmentVariable(MigrateCommand.SourcePasswordVariable, null);
        var asGiven = MigrateCommand.LegacyConnectionString(source, passwordFile: null);

        Assert.Contains("password=from-file", fromFile, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("typed", fromFile, StringComparison.Ordinal);
        Assert.Contains("password=from-env", fromEnvironment, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("database=legacy", fromEnvironment, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(source, asGiven);
    }

    [Fact]
    public void AMissingPasswordFileIsAUsageError()
    {
        var error = Assert.Throws<CliException>(() => MigrateCommand.LegacyConnectionString("Server=127.0.0.1;Database=legacy", new FileInfo(Path.Combine(_directory, "none"))));

        Assert.Equal(2, error.ExitCode);
        Assert.StartsWith("--source-password-file: cannot read", error.Message, StringComparison.Ordinal);
    }
}

using System.CommandLine;
using ShardKit.Migrations;

namespace ShardKit.Tests.Cli;

/// <summary>Runs commands with captured output and a temporary topology file.</summary>
public sealed class CliRunner : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("shardkit-cli-").FullName;

    public const string DevUpJson = """
        {"ShardKit":{"Clusters":[
          {"Name":"c0","Primary":"Server=127.0.0.1;Port=3310;User ID=root;Password=S3cret-Pa55","Replicas":["Server=127.0.0.1;Port=3311;User ID=root;Password=S3cret-Pa55"]},
          {"Name":"c1","Primary":"Server=127.0.0.1;Port=3312;User ID=root;Password=S3cret-Pa55","Replicas":["Server=127.0.0.1;Port=3313;User ID=root;Password=S3cret-Pa55"]}]}}
        """;

    public string WriteConfig(string json, string name = "topo.json")
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, json);
        return path;
    }

    /// <summary>Runs one command on its own, behind the tool's one error handler (parser errors are usage errors).</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(Command command, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await ShardKitCli.InvokeAsync(command, args, new InvocationConfiguration { Output = output, Error = error }, CancellationToken.None);
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>Runs a whole <c>shardkit</c> command line, as the tool's entry point does.</summary>
    public static Task<(int ExitCode, string Output, string Error)> RunRootAsync(params string[] args) =>
        RunAsync(ShardKitCli.CreateRootCommand(), args);

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

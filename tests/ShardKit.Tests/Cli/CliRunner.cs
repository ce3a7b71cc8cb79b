using System.CommandLine;
using ShardKit.Migrations;

namespace ShardKit.Tests.Cli;

/// <summary>Runs the <c>shardkit</c> command line in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var originalError = Console.Error;
        Console.SetError(error);
        try
        {
            var exitCode = await ShardKitCli.CreateRootCommand().Parse(args)
                .InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
            return (exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetError(originalError);
        }
    }
}

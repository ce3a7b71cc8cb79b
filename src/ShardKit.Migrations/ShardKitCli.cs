using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using ShardKit.Migrations.Commands;

namespace ShardKit.Migrations;

/// <summary>The root of the <c>shardkit</c> command line, and its one error handler.</summary>
internal static class ShardKitCli
{
    /// <summary>The tool's name in usage text and messages (the project and assembly keep their own name).</summary>
    public const string CommandName = "shardkit";

    /// <summary>
    /// The root command, named <c>shardkit</c> in usage text. (A <see cref="RootCommand"/> takes its name from the running
    /// executable, which for a .NET tool is <c>ShardKit.Migrations</c>; so the root is a command of its own with help and version.)
    /// </summary>
    public static Command CreateRootCommand()
    {
        var root = new Command(CommandName, "shardkit: local topologies, schema roll-out, routing lookups and online migration for ShardKit.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.Subcommands.Add(DevCommand.Create());
        root.Subcommands.Add(RouteCommand.Create());
        root.Subcommands.Add(TopologyCommand.Create());
        root.Subcommands.Add(SchemaCommand.Create());
        root.Subcommands.Add(IdCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(QueryCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(MoveShardCommand.Create());
        return root;
    }

    /// <summary>The tool's entry point: parses and runs a whole command line on the console.</summary>
    public static Task<int> RunAsync(string[] args) =>
        InvokeAsync(CreateRootCommand(), args, new InvocationConfiguration(), CancellationToken.None);

    /// <summary>
    /// Parses <paramref name="args"/> against <paramref name="command"/> and runs it. A parser error is a usage error
    /// (exit 2, one line); an exception that escapes a command is reported in one line with its exit code (see
    /// <see cref="CliErrors"/>), never with a stack trace.
    /// </summary>
    public static async Task<int> InvokeAsync(Command command, IReadOnlyList<string> args, InvocationConfiguration configuration, CancellationToken cancellationToken)
    {
        configuration.EnableDefaultExceptionHandler = false;
        var parseResult = command.Parse(args);
        if (parseResult.Action is ParseErrorAction)
        {
            return CliErrors.ReportParseErrors(parseResult, configuration);
        }

        try
        {
            return await parseResult.InvokeAsync(configuration, cancellationToken);
        }
        catch (Exception exception)
        {
            var (exitCode, message, problems) = CliErrors.Classify(exception, cancellationToken.IsCancellationRequested);
            return CliErrors.Write(configuration, CliErrors.WantsJson(parseResult), exitCode, message, problems);
        }
    }
}

using System.CommandLine;
using ShardKit.Migrations.Commands;

namespace ShardKit.Migrations;

/// <summary>The root of the <c>shardkit</c> command line.</summary>
internal static class ShardKitCli
{
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand("shardkit: local topologies, schema roll-out, routing lookups and online migration for ShardKit.");
        root.Subcommands.Add(DevCommand.Create());
        root.Subcommands.Add(RouteCommand.Create());
        root.Subcommands.Add(TopologyCommand.Create());
        root.Subcommands.Add(SchemaCommand.Create());
        root.Subcommands.Add(IdCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(VerifyCommand.Create());
        root.Subcommands.Add(MigrateCommand.Create());
        root.Subcommands.Add(MoveShardCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = CreateRootCommand();
        return await root.Parse(args).InvokeAsync();
    }
}

using ShardKit.Migrations;

return await ShardKitCli.RunAsync(args);

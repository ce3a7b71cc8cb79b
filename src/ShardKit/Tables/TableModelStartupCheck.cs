using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ShardKit.Tables;

/// <summary>
/// Fails a service's start when the tables it declares (<see cref="ShardKitOptions.Tables"/>, with
/// <see cref="ShardTablesOptions.CheckAtStartup"/>) do not match the shards, with every problem in the message. The
/// built-in schema is not checked here: ShardKit creates it itself (<c>shardkit schema apply</c>, <c>EnsureSchemaAsync</c>).
/// </summary>
/// <remarks>
/// The data source is resolved when the host starts, not when the service is created: the host validates the options
/// (<c>ValidateOnStart</c>) in between, so a bad map fails with its own message first.
/// </remarks>
internal sealed class TableModelStartupCheck(IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var dataSource = services.GetRequiredService<ShardKitDataSource>();
        var logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<TableModelChecker>();
        var model = dataSource.Map.Tables;
        if (!model.IsDeclared || !model.CheckAtStartup)
        {
            return;
        }

        var result = await dataSource.CheckTablesAsync(cancellationToken).ConfigureAwait(false);
        if (!result.IsValid)
        {
            var problems = string.Join("; ", result.Problems.Select(p => p.Message));
            TableLog.TablesRejected(logger, result.Problems.Count, problems);
            throw new ShardKitException(ShardKitErrorCode.InvalidTables, $"The declared tables do not match the shards ({result.Problems.Count} problem(s)): {problems}");
        }

        TableLog.TablesChecked(logger, model.Tables.Count, result.ShardsChecked);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ShardKit.Tables;

/// <summary>
/// Fails a service's start when the tables it declares (<see cref="ShardKitOptions.Tables"/>, with
/// <see cref="ShardTablesOptions.CheckAtStartup"/>) do not match the shards, with every problem in the message. The
/// built-in schema is not checked here: ShardKit creates it itself (<c>shardkit schema apply</c>, <c>EnsureSchemaAsync</c>).
/// </summary>
internal sealed class TableModelStartupCheck(ShardKitDataSource dataSource, ILoggerFactory? loggerFactory = null) : IHostedService
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<TableModelChecker>();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var model = dataSource.Map.Tables;
        if (!model.IsDeclared || !model.CheckAtStartup)
        {
            return;
        }

        var result = await new TableModelChecker(dataSource).CheckAsync(cancellationToken).ConfigureAwait(false);
        if (!result.IsValid)
        {
            var problems = string.Join("; ", result.Problems.Select(p => p.Message));
            TableLog.TablesRejected(_logger, result.Problems.Count, problems);
            throw new ShardKitException(ShardKitErrorCode.InvalidTables, $"The declared tables do not match the shards ({result.Problems.Count} problem(s)): {problems}");
        }

        TableLog.TablesChecked(_logger, model.Tables.Count, result.ShardsChecked);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

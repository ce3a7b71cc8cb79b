using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Spectre.Console;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// <c>shardkit query --config F --dimension user|merchant [--table T] [--where SQL] [--param name=value ...] [--columns a,b]
/// [--order-by "col desc,col2"] [--limit N] [--group-by a,b --agg "count(*),sum(x)"] [--shards 0-3,7] [--continue TOKEN]
/// [--timeout 5s] [--partial fail|allow] [--json]</c>: a cross-shard query over a dimension's shards from the command line.
/// </summary>
public static class QueryCommand
{
    private const string TokenKeyLabel = "shardkit query continuation tokens v1";
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Creates the <c>query</c> command.</summary>
    public static Command Create()
    {
        var config = TopologyCommand.CreateConfigOption();
        var dimension = new Option<string>("--dimension", "-d") { Description = "Which shards: user or merchant.", Required = true };
        dimension.AcceptOnlyFromAmong("user", "merchant");
        var table = new Option<string?>("--table", "-t") { Description = "A declared table the dimension's shards hold (default: the root table)." };
        var where = new Option<string?>("--where", "-w")
        {
            Description = "A SQL filter over the table's columns, trusted text inserted as WHERE (...) on every shard; put values in --param and name them @name.",
        };
        var parameters = new Option<string[]>("--param", "-p")
        {
            Description = "A filter parameter name=value (repeatable); typed as the column of the same name when there is one, else passed as text.",
            AllowMultipleArgumentsPerToken = false,
        };
        var columns = new Option<string?>("--columns") { Description = "The columns to print, comma-separated (default: every column)." };
        var orderBy = new Option<string?>("--order-by") { Description = "The sort, e.g. \"created_at desc,id\"; the table's key completes it into a total order." };
        var limit = new Option<int>("--limit", "-n") { Description = "Rows per page (1-1000).", DefaultValueFactory = _ => 100 };
        Cli.RequireRange(limit, 1, 1000);
        var groupBy = new Option<string?>("--group-by") { Description = "GROUP BY columns, comma-separated (with --agg)." };
        var aggregates = new Option<string?>("--agg") { Description = "Aggregates, e.g. \"count(*),sum(total),max(state)\": count, sum, avg, min, max." };
        var shards = new Option<string?>("--shards") { Description = "Only these logical shards, e.g. 0-3,7 (default: every shard of the dimension)." };
        var continueFrom = new Option<string?>("--continue") { Description = "The continuation token a previous page printed: read the page after it (same query options)." };
        var timeout = new Option<string?>("--timeout") { Description = "How long the query may take, e.g. 5s, 500ms, 2m (default 5s)." };
        var partial = new Option<string>("--partial") { Description = "When a cluster does not answer in time: fail (exit 3) or allow (print the other shards' rows and name the missing ones).", DefaultValueFactory = _ => "fail" };
        partial.AcceptOnlyFromAmong("fail", "allow");
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };

        var command = new Command(
            "query",
            "Run a cross-shard query over a dimension's shards: filter, sort and page (with a continuation token), or aggregate with GROUP BY.")
        {
            config, dimension, table, where, parameters, columns, orderBy, limit, groupBy, aggregates, shards, continueFrom, timeout, partial, json,
        };
        Cli.SetAction(command, (parseResult, cancellationToken) => RunAsync(
            parseResult,
            new Request(
                parseResult.GetRequiredValue(config),
                parseResult.GetRequiredValue(dimension) == "merchant" ? ShardDimension.Merchant : ShardDimension.User,
                parseResult.GetValue(table),
                parseResult.GetValue(where),
                parseResult.GetValue(parameters) ?? [],
                parseResult.GetValue(columns),
                parseResult.GetValue(orderBy),
                parseResult.GetValue(limit),
                parseResult.GetValue(groupBy),
                parseResult.GetValue(aggregates),
                parseResult.GetValue(shards),
                parseResult.GetValue(continueFrom),
                parseResult.GetValue(timeout),
                parseResult.GetValue(partial) == "allow",
                parseResult.GetValue(json)),
            cancellationToken));
        return command;
    }

    /// <summary>
    /// The key continuation tokens are signed with: derived from the topology file's bytes, so a token printed by one run
    /// is accepted by the next run with the same file (and by no other).
    /// </summary>
    internal static byte[] TokenKey(string configPath) =>
        HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(TokenKeyLabel), File.ReadAllBytes(Path.GetFullPath(configPath)));

    private static async Task<int> RunAsync(ParseResult parseResult, Request request, CancellationToken cancellationToken)
    {
        var aggregate = request.Aggregates is not null;
        if (!aggregate && request.GroupBy is not null)
        {
            throw CliException.Usage("--group-by needs --agg (e.g. --agg \"count(*)\").");
        }

        if (aggregate && (request.Columns is not null || request.OrderBy is not null || request.Continue is not null))
        {
            throw CliException.Usage("--agg prints one row per group: --columns, --order-by and --continue apply to row queries only.");
        }

        var aggregates = aggregate ? QueryArguments.Aggregates(request.Aggregates!) : null;
        var groupBy = QueryArguments.Names(request.GroupBy, "--group-by") ?? [];
        var columnNames = QueryArguments.Names(request.Columns, "--columns");
        var sorts = QueryArguments.OrderBy(request.OrderBy);
        var shardList = QueryArguments.Shards(request.Shards);
        var timeout = QueryArguments.Timeout(request.Timeout);
        var rawParameters = request.Parameters.Select(QueryArguments.Parameter).ToList();
        var duplicate = rawParameters.GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw CliException.Usage($"--param: '{duplicate.Key}' is given twice.");
        }

        var options = TopologyCommand.LoadValid(request.ConfigPath);
        await using var dataSource = new ShardKitDataSourceBuilder(options).Build();
        var executor = new CrossShardQueryExecutor(dataSource, new CrossShardOptions { TokenSigningKey = TokenKey(request.ConfigPath), MaxPageSize = 1000 });
        var table = await executor.DescribeAsync(request.Dimension, request.Table, timeout, cancellationToken);
        var parameters = new DynamicParameters();
        foreach (var (name, text) in rawParameters)
        {
            parameters.Add(name, QueryArguments.Value(name, text, table.Columns.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase))));
        }

        var policy = request.AllowPartial ? PartialResultPolicy.ReturnPartial : PartialResultPolicy.Fail;
        var console = Cli.Console(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        try
        {
            if (aggregate)
            {
                var result = await executor.AggregateAsync(
                    new CrossShardAggregateQuery
                    {
                        Dimension = request.Dimension,
                        Table = table.Name,
                        Shards = shardList,
                        Filter = request.Where,
                        Parameters = parameters,
                        GroupBy = groupBy,
                        Aggregates = aggregates!,
                        Timeout = timeout,
                        PartialResults = policy,
                    },
                    cancellationToken);
                var headers = groupBy.Select(g => table.Column(g, "query", "group column").Name).Concat(aggregates!.Select(a => a.ToString().ToLowerInvariant())).ToList();
                var rows = result.Rows.Select(r => r.Keys.Concat(r.Values).ToList()).ToList();
                Write(parseResult, console, output, request.Json, headers, rows, null, result.MissingShards);
                return ExitCodes.Ok;
            }

            var page = await executor.QueryPageAsync<object>(
                new CrossShardQuery
                {
                    Dimension = request.Dimension,
                    Table = table.Name,
                    Shards = shardList,
                    Filter = request.Where,
                    Parameters = parameters,
                    Columns = columnNames,
                    OrderBy = sorts,
                    PageSize = request.Limit,
                    Timeout = timeout,
                    PartialResults = policy,
                },
                request.Continue,
                cancellationToken);
            var names = columnNames?.Select(c => table.Column(c, "query", "column").Name).ToList() ?? [.. table.AllColumns];
            var values = page.Rows.Select(r => (IDictionary<string, object?>)r).Select(r => names.Select(n => r[n]).ToList()).ToList();
            Write(parseResult, console, output, request.Json, names, values, page.ContinuationToken, page.MissingShards);
            return ExitCodes.Ok;
        }
        catch (ArgumentException ex) when (ex.ParamName == "continuationToken")
        {
            throw CliException.Usage("--continue: " + CliErrors.OneLine(ex));
        }
        catch (DbException ex) when (!CliErrors.IsUnreachable(ex) && CliErrors.AuthenticationFailure(ex) is null)
        {
            // The server refused the statement: with a trusted filter that is the operator's SQL (a typo, an unknown column or parameter).
            throw CliException.Usage($"the server refused the query{(request.Where is null ? "" : " (check --where and --param)")}: {CliErrors.OneLine(ex)}");
        }
    }

    private static void Write(
        ParseResult parseResult, IAnsiConsole console, TextWriter output, bool json, IReadOnlyList<string> headers, List<List<object?>> rows,
        string? token, IReadOnlyList<ShardRoute> missing)
    {
        var missingText = missing.Select(m => m.Name).ToList();
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(
                new
                {
                    columns = headers,
                    rows = rows.Select(r => headers.Select((h, i) => (h, v: Json(r[i]))).ToDictionary(x => x.h, x => x.v)),
                    continuationToken = token,
                    missingShards = missingText,
                },
                s_json));
            return;
        }

        var table = new Table().AddColumns(headers.Select(h => new TableColumn(Markup.Escape(h))).ToArray());
        foreach (var row in rows)
        {
            table.AddRow(row.Select(v => Markup.Escape(Text(v))).ToArray());
        }

        console.Write(table);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{rows.Count} row(s)"));
        if (token is not null)
        {
            output.WriteLine("next page: --continue " + token);
        }

        if (missingText.Count > 0)
        {
            parseResult.InvocationConfiguration.Error.WriteLine(
                $"partial: {missingText.Count} shard(s) did not answer; their rows are missing: {CrossShard.ShardRanges.Describe(missing.Select(m => m.Slot))}");
        }
    }

    private static object? Json(object? value) => value switch
    {
        DBNull => null,
        TimeSpan time => time.ToString("c", CultureInfo.InvariantCulture),
        DateTime time => time.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        _ => value,
    };

    private static string Text(object? value) => value switch
    {
        null or DBNull => "NULL",
        DateTime time => time.ToString(time.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        byte[] bytes => "0x" + Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 32))) + (bytes.Length > 32 ? "..." : ""),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private sealed record Request(
        string ConfigPath, ShardDimension Dimension, string? Table, string? Where, string[] Parameters, string? Columns, string? OrderBy, int Limit,
        string? GroupBy, string? Aggregates, string? Shards, string? Continue, string? Timeout, bool AllowPartial, bool Json);
}

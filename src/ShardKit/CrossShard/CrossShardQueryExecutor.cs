using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using Dapper;

namespace ShardKit.CrossShard;

/// <summary>
/// Runs queries over one declared table (the root table by default) of many shards: pages in a total order with keyset pagination
/// (<see cref="QueryPageAsync{T}"/>) and merged aggregates (<see cref="AggregateAsync"/>).
/// Each cluster gets one statement per call (its shards combined with <c>UNION ALL</c>), so one round trip per physical
/// server, at most <see cref="CrossShardOptions.MaxConcurrentQueriesPerCluster"/> at once per cluster; the clusters' sorted
/// answers are read in parallel and merged. Thread-safe; keep one per application (the concurrency limits live in it).
/// </summary>
public sealed class CrossShardQueryExecutor
{
    private readonly ShardKitDataSource _shards;
    private readonly CrossShardOptions _options;
    private readonly byte[] _signingKey;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _limiters = new(StringComparer.Ordinal);
    private readonly StatementCache _statements = new();
    private readonly TableShapes _tables;

    /// <summary>Creates an executor over <paramref name="shards"/>.</summary>
    /// <param name="shards">The data source whose map and pools the queries use.</param>
    /// <param name="options">Limits and the token key; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public CrossShardQueryExecutor(ShardKitDataSource shards, CrossShardOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(shards);
        _shards = shards;
        _options = options ?? new CrossShardOptions();
        OptionsValidator<CrossShardOptions>.ThrowIfInvalid(_options, "options");
        _signingKey = _options.TokenSigningKey?.ToArray() ?? RandomNumberGenerator.GetBytes(32);
        _tables = shards.Shapes;
    }

    /// <summary>
    /// Reads one page of <paramref name="query"/>, merged from every shard in the query's order (the order ID breaks ties).
    /// Each shard and each cluster returns at most page size + 1 rows past the token (plus the offset, if one is allowed),
    /// so memory is bounded by the page size and the number of clusters, however deep the page.
    /// </summary>
    /// <typeparam name="T">The row type, mapped from <see cref="CrossShardQuery.Columns"/> by Dapper's rules.</typeparam>
    /// <param name="query">The query.</param>
    /// <param name="continuationToken">The previous page's <see cref="CrossShardPage{T}.ContinuationToken"/>, or <see langword="null"/> for the first page.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentException">
    /// The query names an unknown column, an offset above <see cref="CrossShardOptions.MaxOffset"/> or a page size out of range;
    /// or the token was altered, belongs to another query, or comes with an offset.
    /// </exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> under <see cref="PartialResultPolicy.Fail"/> when a cluster did not answer
    /// within the timeout (the message names the clusters, endpoints and shards); <see cref="ShardKitErrorCode.CrossShardTransaction"/>
    /// inside a ShardKit transaction.
    /// </exception>
    public async Task<CrossShardPage<T>> QueryPageAsync<T>(CrossShardQuery query, string? continuationToken = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        QueryChecks.Dimension(query.Dimension, nameof(query));
        var map = _shards.Map;
        var parts = Resolve(map, query.Dimension, query.Shards);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(query.Timeout is { } t && t > TimeSpan.Zero ? t : _options.DefaultTimeout);
        var table = await TableAsync(map, query.Dimension, query.Table, parts, query.ReadPreference, Named(query), timeout.Token, cancellationToken).ConfigureAwait(false);
        var plan = RowQueryPlan.Create(query, _options, table);
        if (continuationToken is not null && query.Offset > 0)
        {
            throw new ArgumentException(
                $"Offset {query.Offset} cannot be combined with a continuation token: the token already says where the page starts. Pass Offset = 0 with it.",
                nameof(query));
        }

        var after = continuationToken is null
            ? null
            : ContinuationToken.Decode(continuationToken, plan.ShapeHash, plan.KeyKinds, _signingKey, nameof(continuationToken));
        var shape = string.Concat("rows:", Convert.ToHexString(plan.ShapeHash), ":", plan.Limit.ToString(CultureInfo.InvariantCulture), after is null ? ":first:" : ":seek:");

        var failures = new ConcurrentQueue<ClusterFailure>();
        var answers = await Task.WhenAll(parts.Select(part => ReadClusterAsync(
            part,
            _statements.GetOrAdd(map, shape + part.Cluster.Name, (plan, part, seek: after is not null), static x => x.plan.BuildSql(x.part, x.seek)),
            plan.Parameters(after),
            query.ReadPreference,
            failures,
            (reader, token) => ClusterRows<T>.ReadAsync(reader, plan, token),
            timeout.Token,
            cancellationToken))).ConfigureAwait(false);

        var missing = Missing(query.Dimension, query.PartialResults, parts.Length, failures);
        var merged = await KWayMerge.MergeAsync(
            answers.OfType<ClusterRows<T>>().ToList(), new KeyComparer(plan.Descending), query.Offset, query.PageSize, cancellationToken).ConfigureAwait(false);
        var next = merged.More && merged.LastKey is not null
            ? ContinuationToken.Encode(plan.ShapeHash, plan.KeyKinds, merged.LastKey, _signingKey)
            : null;
        return new CrossShardPage<T>(merged.Rows, next, missing);
    }

    /// <summary>
    /// Runs <paramref name="query"/>'s aggregates on every shard and merges them: COUNT and SUM added, MIN and MAX compared,
    /// AVG as the total SUM over the total COUNT, NULL as SQL gives it; groups by their keys.
    /// </summary>
    /// <param name="query">The query.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <exception cref="ArgumentException">The query names an unknown column or an aggregate that does not apply to its column.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.ShardUnavailable"/> under <see cref="PartialResultPolicy.Fail"/> when a cluster did not answer
    /// within the timeout (the message names the clusters, endpoints and shards); <see cref="ShardKitErrorCode.CrossShardTransaction"/>
    /// inside a ShardKit transaction.
    /// </exception>
    public async Task<CrossShardAggregateResult> AggregateAsync(CrossShardAggregateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        QueryChecks.Dimension(query.Dimension, nameof(query));
        var map = _shards.Map;
        var parts = Resolve(map, query.Dimension, query.Shards);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(query.Timeout is { } t && t > TimeSpan.Zero ? t : _options.DefaultTimeout);
        var table = await TableAsync(map, query.Dimension, query.Table, parts, query.ReadPreference, Named(query), timeout.Token, cancellationToken).ConfigureAwait(false);
        var plan = AggregatePlan.Create(query, table);
        var shape = string.Concat("aggregate:", Convert.ToHexString(plan.ShapeHash), ":");
        var failures = new ConcurrentQueue<ClusterFailure>();
        var partials = await Task.WhenAll(parts.Select(part => ReadClusterAsync(
            part,
            _statements.GetOrAdd(map, shape + part.Cluster.Name, (plan, part), static x => x.plan.BuildSql(x.part)),
            new DynamicParameters(query.Parameters),
            query.ReadPreference,
            failures,
            async (reader, token) =>
            {
                var rows = new List<(object?[] Key, object?[] Partials)>();
                while (await reader.ReadAsync(token).ConfigureAwait(false))
                {
                    rows.Add(plan.ReadRow(reader));
                }

                return rows;
            },
            timeout.Token,
            cancellationToken))).ConfigureAwait(false);

        var missing = Missing(query.Dimension, query.PartialResults, parts.Length, failures);
        var accumulator = new AggregateAccumulator(plan.Ops, plan.Functions, plan.GroupKinds.Length);
        foreach (var (key, values) in partials.OfType<List<(object?[] Key, object?[] Partials)>>().SelectMany(p => p))
        {
            accumulator.Add(key, values);
        }

        return new CrossShardAggregateResult(accumulator.Results(), missing);
    }

    /// <summary>
    /// The columns of <paramref name="table"/> (null: the root table) on <paramref name="dimension"/>'s shards as cross-shard
    /// queries see them, read from the first cluster that answers (or known, for the built-in <c>orders</c>).
    /// </summary>
    internal async Task<TableShape> DescribeAsync(ShardDimension dimension, string? table, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        QueryChecks.Dimension(dimension, nameof(dimension));
        var map = _shards.Map;
        var parts = Resolve(map, dimension, null);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? _options.DefaultTimeout);
        return await TableAsync(map, dimension, table, parts, ReadPreference.PreferReplica, [], cts.Token, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every column a row query names (read again from the server when a cached shape lacks one).</summary>
    private static IEnumerable<string?> Named(CrossShardQuery query) =>
        (query.Columns ?? []).Concat((query.OrderBy ?? []).Select(s => s?.Column));

    private static IEnumerable<string?> Named(CrossShardAggregateQuery query) =>
        (query.GroupBy ?? []).Concat((query.Aggregates ?? []).Select(a => a?.Column).Where(c => c is not null));

    private async Task<TableShape> TableAsync(
        ShardMap map, ShardDimension dimension, string? name, ClusterPart[] parts, ReadPreference preference, IEnumerable<string?> named,
        CancellationToken timeoutToken, CancellationToken callerToken)
    {
        QueryChecks.Dimension(dimension, "query");
        var declared = TableShapes.Declared(map, dimension, name, "query");
        var table = await _tables.GetAsync(map, dimension, declared, parts, preference, refresh: false, timeoutToken, callerToken).ConfigureAwait(false);
        if (table.FromServer && Environment.TickCount64 - table.ReadAt > 1000 && named.Any(c => c is not null && !table.Has(c)))
        {
            // A column added since the shape was read: read it again once before calling the column unknown (at most once a
            // second per table, so a query that keeps naming a wrong column does not keep reading information_schema).
            table = await _tables.GetAsync(map, dimension, declared, parts, preference, refresh: true, timeoutToken, callerToken).ConfigureAwait(false);
        }

        return table;
    }

    /// <summary>
    /// Whether an error means the cluster did not answer (it is then reported, or tolerated under ReturnPartial) rather than that
    /// the query is wrong: the timeout fired, the endpoint could not be opened, the connection failed, or a transient error.
    /// A server's SQL error (bad filter, missing table) is thrown as it is.
    /// </summary>
    internal static bool IsUnavailable(Exception error, CancellationToken callerToken) => error switch
    {
        OperationCanceledException => !callerToken.IsCancellationRequested,
        ShardKitException { ErrorCode: ShardKitErrorCode.ShardUnavailable } => true,
        DbException db => ShardKitErrors.IsTransient(db) || db.SqlState is null || db.SqlState.StartsWith("08", StringComparison.Ordinal),
        _ => false,
    };

    private ClusterPart[] Resolve(ShardMap map, ShardDimension dimension, IReadOnlyList<int>? shards)
    {
        if (_shards.AmbientTransaction is { } transaction)
        {
            throw new ShardKitException(
                ShardKitErrorCode.CrossShardTransaction,
                $"Cross-shard queries do not run inside a ShardKit transaction (one is open on shard {transaction.Slot.Name}); run them outside it.")
            {
                Shard = transaction.Slot.Name,
            };
        }

        return ClusterPart.Resolve(map, dimension, shards, "query");
    }

    /// <summary>
    /// Takes a slot of the cluster's limit, opens a connection, sends the cluster's one statement and reads its whole answer
    /// (bounded by the statement's LIMIT) within the timeout; null when the cluster did not answer.
    /// Each cluster gets its own <paramref name="parameters"/>: Dapper's DynamicParameters are not safe to share between commands running at once.
    /// </summary>
    private async Task<TAnswer?> ReadClusterAsync<TAnswer>(
        ClusterPart part, string sql, DynamicParameters parameters, ReadPreference preference, ConcurrentQueue<ClusterFailure> failures,
        Func<DbDataReader, CancellationToken, Task<TAnswer>> read, CancellationToken timeoutToken, CancellationToken callerToken)
        where TAnswer : class
    {
        var limiter = _limiters.GetOrAdd(part.Cluster.Name, _ => new SemaphoreSlim(_options.MaxConcurrentQueriesPerCluster));
        try
        {
            await limiter.WaitAsync(timeoutToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!callerToken.IsCancellationRequested)
        {
            failures.Enqueue(new ClusterFailure(part, ex));
            return null;
        }

        try
        {
            var connection = await _shards.OpenAsync(new ShardRoute(part.Slots[0]), preference, timeoutToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var reader = await connection.Connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: timeoutToken)).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    return await read(reader, timeoutToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (IsUnavailable(ex, callerToken))
        {
            failures.Enqueue(new ClusterFailure(part, ex));
            return null;
        }
        finally
        {
            limiter.Release();
        }
    }

    /// <summary>The missing shards under ReturnPartial; under Fail, throws naming every cluster that did not answer.</summary>
    private static List<ShardRoute> Missing(ShardDimension dimension, PartialResultPolicy policy, int clusterCount, IEnumerable<ClusterFailure> failures)
    {
        var failed = failures.GroupBy(f => f.Part.Cluster.Index).Select(g => g.First()).OrderBy(f => f.Part.Cluster.Index).ToList();
        if (failed.Count == 0)
        {
            return [];
        }

        if (policy == PartialResultPolicy.Fail)
        {
            var slots = failed.SelectMany(f => f.Part.Slots).ToList();
            var details = string.Join("; ", failed.Select(f =>
                $"cluster '{f.Part.Cluster.Name}' ({f.Part.Cluster.Primary.Address}) with shards {ShardRanges.Describe(f.Part.Slots)}: {Reason(f.Error)}"));
            throw new ShardKitException(
                ShardKitErrorCode.ShardUnavailable,
                $"Cross-shard query on the {dimension.ToString().ToLowerInvariant()} dimension: {failed.Count} of {clusterCount} clusters " +
                $"({slots.Count.ToString(CultureInfo.InvariantCulture)} shards) did not answer: {details}. " +
                "Retry, or use PartialResultPolicy.ReturnPartial to get the other shards' rows.",
                failed[0].Error)
            {
                Shard = slots[0].Name,
            };
        }

        return failed.SelectMany(f => f.Part.Slots).OrderBy(s => s.Shard).Select(s => new ShardRoute(s)).ToList();
    }

    private static string Reason(Exception error) => error is OperationCanceledException ? "no answer within the timeout" : error.Message;
}

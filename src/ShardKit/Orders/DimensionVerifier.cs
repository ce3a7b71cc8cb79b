using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ShardKit.Orders;

/// <summary>
/// Compares the merchant dimension with the user dimension it copies, and repairs it from the user side.
/// Per merchant shard: the count and an order-independent checksum of the orders' canonical form
/// (<see cref="CanonicalRow"/>: what the merchant copy keeps of the declared tables, the root's copied columns and the
/// copied child tables' rows) on both sides, the user side summed over every user shard by the merchant gene in the order
/// IDs; where they differ, the orders that differ. A repair re-applies each of them from its user shard while holding a
/// shared lock on the user row, overwriting the merchant copy whatever its version.
/// </summary>
/// <remarks>
/// Writes in flight make a live comparison show orders whose copy is still pending; run the relay's
/// <see cref="OutboxRelay.DrainAsync"/> first, or repeat the comparison.
/// </remarks>
public sealed class DimensionVerifier
{
    private const int Parallelism = 4;
    private readonly ShardKitDataSource _dataSource;
    private readonly MerchantApplier _applier;
    private readonly ILogger _logger;

    /// <summary>Creates a verifier that reaches the shards through <paramref name="dataSource"/>.</summary>
    /// <param name="dataSource">The routed data source.</param>
    /// <param name="loggerFactory">Logs repairs (event 5007); the default logs nothing.</param>
    public DimensionVerifier(ShardKitDataSource dataSource, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _applier = new MerchantApplier(dataSource);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<DimensionVerifier>();
    }

    /// <summary>Compares every merchant shard with the user side and, if asked, repairs the orders that differ.</summary>
    /// <param name="repair">Re-apply every differing order from its user shard, then check it again.</param>
    /// <param name="progress">Receives each merchant shard's report as it completes.</param>
    /// <param name="cancellationToken">Cancels the comparison.</param>
    public async Task<DimensionVerifyResult> VerifyAsync(bool repair = false, IProgress<DimensionShardReport>? progress = null, CancellationToken cancellationToken = default)
    {
        var map = _dataSource.Map;
        var userRoutes = map.GetRoutes(ShardDimension.User).ToList();
        var merchantRoutes = map.GetRoutes(ShardDimension.Merchant).ToList();
        var canonical = await CanonicalRowAsync(merchantRoutes, cancellationToken).ConfigureAwait(false);

        // The user side, per merchant gene, summed over every user shard.
        var userTotals = new ConcurrentDictionary<int, (long Count, ulong Xor)>();
        var userErrors = new ConcurrentBag<string>();
        await ForEachAsync(userRoutes, async (route, ct) =>
        {
            try
            {
                foreach (var (gene, count, xor) in await UserAggregateAsync(route, canonical, ct).ConfigureAwait(false))
                {
                    userTotals.AddOrUpdate(gene, (count, xor), (_, t) => (t.Count + count, t.Xor ^ xor));
                }
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                userErrors.Add($"{route.Name}: {ex.Message}");
            }
        }, cancellationToken).ConfigureAwait(false);

        var userError = userErrors.IsEmpty ? null : "user side incomplete: " + string.Join("; ", userErrors.Order(StringComparer.Ordinal));
        var reports = new ConcurrentDictionary<int, DimensionShardReport>();
        await ForEachAsync(merchantRoutes, async (route, ct) =>
        {
            var user = userTotals.GetValueOrDefault(route.Shard);
            string? error = userError;
            (long Count, ulong Xor) merchant = default;
            try
            {
                merchant = await MerchantAggregateAsync(route, canonical, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                error = ex.Message;
            }

            var report = new DimensionShardReport
            {
                MerchantShard = route.Shard,
                Name = route.Name,
                UserCount = user.Count,
                MerchantCount = merchant.Count,
                UserChecksum = Hex(user.Xor),
                MerchantChecksum = Hex(merchant.Xor),
                Error = error,
            };
            reports[route.Shard] = report;
            progress?.Report(report);
        }, cancellationToken).ConfigureAwait(false);

        var differences = new List<DimensionDifference>();
        foreach (var report in reports.Values.Where(r => r.Error is null && !r.Matches).OrderBy(r => r.MerchantShard))
        {
            var found = await RowDifferencesAsync(map, canonical, report.MerchantShard, cancellationToken).ConfigureAwait(false);
            differences.AddRange(repair ? await RepairAsync(canonical, found, cancellationToken).ConfigureAwait(false) : found);
        }

        return new DimensionVerifyResult
        {
            Shards = merchantRoutes.Select(r => reports[r.Shard]).ToList(),
            Differences = differences,
        };
    }

    private async Task<List<DimensionDifference>> RowDifferencesAsync(ShardMap map, CanonicalRow canonical, int merchantShard, CancellationToken cancellationToken)
    {
        var user = new ConcurrentDictionary<long, (long Version, ulong Hash)>();
        await ForEachAsync(map.GetRoutes(ShardDimension.User).ToList(), async (route, ct) =>
        {
            foreach (var row in await RowsAsync(route, canonical.UserRows, new { Gene = merchantShard }, ct).ConfigureAwait(false))
            {
                user[row.Key] = row.Value;
            }
        }, cancellationToken).ConfigureAwait(false);
        var merchant = await RowsAsync(map.GetRoute(ShardDimension.Merchant, merchantShard), canonical.Rows, new { }, cancellationToken).ConfigureAwait(false);
        return CanonicalRow.Diff(merchantShard, user, merchant);
    }

    private async Task<List<DimensionDifference>> RepairAsync(CanonicalRow canonical, List<DimensionDifference> differences, CancellationToken cancellationToken)
    {
        var results = new List<DimensionDifference>(differences.Count);
        foreach (var difference in differences)
        {
            var repaired = false;
            // An ID whose genes name no shard of the map cannot be routed; it stays unrepaired (InvalidOrderId below).
            if (difference.OrderId > 0)
            {
                try
                {
                    var orderId = OrderId.FromValidatedValue(difference.OrderId);
                    await _applier.ApplyAsync(orderId, force: true, cancellationToken).ConfigureAwait(false);
                    repaired = await SidesEqualAsync(canonical, orderId, cancellationToken).ConfigureAwait(false);
                    if (repaired)
                    {
                        OutboxLog.DimensionsRepaired(_logger, difference.OrderId, difference.MerchantShard, difference.Kind);
                    }
                }
                catch (Exception ex) when (ex is DbException or ShardKitException)
                {
                    repaired = false;
                }
            }

            results.Add(new DimensionDifference
            {
                OrderId = difference.OrderId,
                MerchantShard = difference.MerchantShard,
                Kind = difference.Kind,
                UserVersion = difference.UserVersion,
                MerchantVersion = difference.MerchantVersion,
                Repaired = repaired,
            });
        }

        return results;
    }

    private async Task<bool> SidesEqualAsync(CanonicalRow canonical, OrderId orderId, CancellationToken cancellationToken)
    {
        var user = await OneRowAsync(_dataSource.Map.RouteOrder(orderId, ShardDimension.User), canonical.OneRow, orderId, cancellationToken).ConfigureAwait(false);
        var merchant = await OneRowAsync(_dataSource.Map.RouteOrder(orderId, ShardDimension.Merchant), canonical.OneRow, orderId, cancellationToken).ConfigureAwait(false);
        return user == merchant;
    }

    private async Task<(long Version, ulong Hash)?> OneRowAsync(ShardRoute route, string template, OrderId orderId, CancellationToken cancellationToken)
    {
        var shard = await _dataSource.OpenAsync(route, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var reader = await shard.Connection.ExecuteReaderAsync(new CommandDefinition(shard.Sql(template), new { OrderId = orderId.Value }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
                    ? (Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), Convert.ToUInt64(reader.GetValue(1), CultureInfo.InvariantCulture))
                    : null;
            }
        }
    }

    private async Task<List<(int Gene, long Count, ulong Xor)>> UserAggregateAsync(ShardRoute route, CanonicalRow canonical, CancellationToken cancellationToken)
    {
        var rows = new List<(int, long, ulong)>();
        var shard = await _dataSource.OpenAsync(route, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var reader = await shard.Connection.ExecuteReaderAsync(new CommandDefinition(shard.Sql(canonical.UserAggregate), cancellationToken: cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add((
                        Convert.ToInt32(reader.GetValue(0), CultureInfo.InvariantCulture),
                        Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture),
                        Convert.ToUInt64(reader.GetValue(2), CultureInfo.InvariantCulture)));
                }
            }
        }

        return rows;
    }

    private async Task<(long Count, ulong Xor)> MerchantAggregateAsync(ShardRoute route, CanonicalRow canonical, CancellationToken cancellationToken)
    {
        var shard = await _dataSource.OpenAsync(route, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var reader = await shard.Connection.ExecuteReaderAsync(new CommandDefinition(shard.Sql(canonical.Aggregate), cancellationToken: cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return (Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture), Convert.ToUInt64(reader.GetValue(1), CultureInfo.InvariantCulture));
            }
        }
    }

    private async Task<Dictionary<long, (long Version, ulong Hash)>> RowsAsync(ShardRoute route, string template, object parameters, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<long, (long, ulong)>();
        var shard = await _dataSource.OpenAsync(route, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var reader = await shard.Connection.ExecuteReaderAsync(new CommandDefinition(shard.Sql(template), parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows[reader.GetInt64(0)] = (reader.GetInt64(1), Convert.ToUInt64(reader.GetValue(2), CultureInfo.InvariantCulture));
                }
            }
        }

        return rows;
    }

    /// <summary>
    /// The canonical form of the data source's declared tables: the built-in schema's is known; a team's needs the merchant
    /// shards' shapes (cached), read from the first merchant shard of a cluster that answers.
    /// </summary>
    private async Task<CanonicalRow> CanonicalRowAsync(List<ShardRoute> merchantRoutes, CancellationToken cancellationToken)
    {
        if (!_dataSource.Map.Tables.IsDeclared)
        {
            return CanonicalRow.BuiltIn;
        }

        Exception? last = null;
        foreach (var route in merchantRoutes.DistinctBy(r => r.Cluster.Name))
        {
            try
            {
                var shard = await _dataSource.OpenAsync(route, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
                await using (shard.ConfigureAwait(false))
                {
                    return new CanonicalRow(await MerchantCopyPlan.GetAsync(_dataSource, shard, states: null, cancellationToken).ConfigureAwait(false));
                }
            }
            catch (Exception ex) when (ex is DbException or ShardKitException)
            {
                last = ex;
            }
        }

        throw new ShardKitException(
            ShardKitErrorCode.ShardUnavailable,
            $"verify dimensions: the columns of the declared tables could not be read from any merchant cluster ({last?.Message})",
            last);
    }

    private static Task ForEachAsync(List<ShardRoute> routes, Func<ShardRoute, CancellationToken, ValueTask> body, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(routes, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, body);

    private static string Hex(ulong value) => value.ToString("x16", CultureInfo.InvariantCulture);
}

using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using Dapper;

namespace ShardKit.AlternateKeys;

/// <summary>Finding and removing dangling mappings, and verifying mappings against the keys orders were created with.</summary>
public sealed partial class AlternateKeyStore
{
    private const int Parallelism = 4;

    /// <summary>
    /// Removes, on every user shard, the mappings whose order is not in its user shard and that are older than
    /// <see cref="AlternateKeyStoreOptions.DanglingGracePeriod"/> (a younger one may belong to an order create still in
    /// flight). A mapping re-pointed or re-claimed meanwhile is left alone.
    /// </summary>
    /// <param name="cancellationToken">Stops the sweep; what was removed stays removed.</param>
    /// <returns>How many mappings were checked and removed, and which shards could not be swept.</returns>
    public Task<AlternateKeySweepResult> SweepAsync(CancellationToken cancellationToken = default) => SweepShardsAsync(static _ => true, cancellationToken);

    /// <summary>Sweeps the user shards <paramref name="include"/> selects (the <see cref="AlternateKeySweeper"/>'s leased share).</summary>
    internal async Task<AlternateKeySweepResult> SweepShardsAsync(Func<ShardRoute, bool> include, CancellationToken cancellationToken)
    {
        var problems = new ConcurrentBag<AlternateKeyProblem>();
        var (checkedCount, unavailable) = await ScanDanglingAsync(remove: true, problems, cancellationToken, include).ConfigureAwait(false);
        var removed = problems.LongCount(p => p.Repaired);
        Metrics.Swept(removed);
        MappingLog.SweepCompleted(Logger, checkedCount, removed, unavailable.Count);
        return new AlternateKeySweepResult { Checked = checkedCount, Removed = removed, UnavailableShards = unavailable };
    }

    /// <summary>
    /// Checks every mapping that names an order (is the order there?) and every key an existing order was created with
    /// (does its mapping exist and name that order?). With <paramref name="repair"/>, dangling mappings older than the
    /// grace period are removed, then missing mappings are created again; a key whose mapping names another live
    /// target is reported and left for a person to decide.
    /// </summary>
    /// <param name="repair">Whether to remove dangling mappings and re-create missing ones.</param>
    /// <param name="cancellationToken">Stops the verification.</param>
    /// <returns>The problems found and whether each was repaired.</returns>
    public async Task<AlternateKeyVerifyResult> VerifyAsync(bool repair, CancellationToken cancellationToken = default)
    {
        var dangling = new ConcurrentBag<AlternateKeyProblem>();
        var (mappingsChecked, unavailable) = await ScanDanglingAsync(repair, dangling, cancellationToken).ConfigureAwait(false);

        var declared = new ConcurrentBag<AlternateKeyProblem>();
        long declaredChecked = 0;
        var failed = new ConcurrentBag<string>(unavailable);
        await Parallel.ForEachAsync(
            DataSource.Map.GetRoutes(ShardDimension.User),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (route, ct) =>
            {
                try
                {
                    Interlocked.Add(ref declaredChecked, await CheckDeclaredKeysAsync(route, repair, declared, ct).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is DbException or ShardKitException)
                {
                    MappingLog.SweepShardFailed(Logger, ex, route.Name);
                    failed.Add($"{route.Name}: {ex.Message}");
                }
            }).ConfigureAwait(false);

        var problems = dangling.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal)
            .Concat(declared.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal))
            .ToList();
        if (repair)
        {
            var removed = problems.LongCount(p => p.Repaired && p.Kind == AlternateKeyProblemKind.Dangling);
            var created = problems.LongCount(p => p.Repaired && p.Kind != AlternateKeyProblemKind.Dangling);
            MappingLog.MappingsRepaired(Logger, removed, created);
        }

        return new AlternateKeyVerifyResult
        {
            MappingsChecked = mappingsChecked,
            DeclaredKeysChecked = declaredChecked,
            Problems = problems,
            UnavailableShards = failed.Distinct().Order(StringComparer.Ordinal).ToList(),
        };
    }

    private async Task<(long Checked, List<string> Unavailable)> ScanDanglingAsync(bool remove, ConcurrentBag<AlternateKeyProblem> problems, CancellationToken cancellationToken, Func<ShardRoute, bool>? include = null)
    {
        var cutoff = OrderReader.Now(DataSource.TimeProvider) - Options.DanglingGracePeriod;
        long checkedCount = 0;
        var unavailable = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(
            DataSource.Map.GetRoutes(ShardDimension.User).Where(include ?? (static _ => true)),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (route, ct) =>
            {
                try
                {
                    Interlocked.Add(ref checkedCount, await ScanShardAsync(route, cutoff, remove, problems, ct).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is DbException or ShardKitException)
                {
                    MappingLog.SweepShardFailed(Logger, ex, route.Name);
                    unavailable.Add($"{route.Name}: {ex.Message}");
                }
            }).ConfigureAwait(false);
        return (checkedCount, unavailable.Order(StringComparer.Ordinal).ToList());
    }

    private async Task<long> ScanShardAsync(ShardRoute route, DateTimeOffset cutoff, bool remove, ConcurrentBag<AlternateKeyProblem> problems, CancellationToken cancellationToken)
    {
        long checkedCount = 0;
        var shard = await DataSource.OpenAsync(route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var (kind, value) = ("", "");
            while (true)
            {
                var rows = (await shard.Connection.QueryAsync<(string Kind, string Value, long UserId, long OrderId, DateTime CreatedAt)>(new CommandDefinition(
                    shard.Sql(MappingSql.ScanOrderMappings), new { Kind = kind, Value = value, Limit = Options.BatchSize }, cancellationToken: cancellationToken)).ConfigureAwait(false))
                    .ToList();
                if (rows.Count == 0)
                {
                    break;
                }

                (kind, value) = (rows[^1].Kind, rows[^1].Value);
                var old = rows
                    .Select(r => ToMapping(new AlternateKey(r.Kind, r.Value), r.UserId, r.OrderId, r.CreatedAt))
                    .Where(m => m.CreatedAt < cutoff)
                    .ToList();
                checkedCount += old.Count;
                var existing = await ExistingOrdersAsync(old.Select(m => m.Target.OrderId!.Value), cancellationToken).ConfigureAwait(false);
                foreach (var mapping in old.Where(m => !existing.Contains(m.Target.OrderId!.Value.Value)))
                {
                    var removed = false;
                    if (remove)
                    {
                        removed = await shard.Connection.ExecuteAsync(new CommandDefinition(
                            shard.Sql(MappingSql.RemoveDangling),
                            new { mapping.Key.Kind, mapping.Key.Value, OrderId = mapping.Target.OrderId!.Value.Value, Cutoff = cutoff.UtcDateTime },
                            cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;
                        Forget(mapping.Key);
                    }

                    problems.Add(new AlternateKeyProblem(mapping.Key, AlternateKeyProblemKind.Dangling, mapping.Target, null, removed));
                }

                if (rows.Count < Options.BatchSize)
                {
                    break;
                }
            }
        }

        return checkedCount;
    }

    /// <summary>The IDs among <paramref name="orderIds"/> whose order is in its user shard; an ID naming no shard of the map has none.</summary>
    private async Task<HashSet<long>> ExistingOrdersAsync(IEnumerable<OrderId> orderIds, CancellationToken cancellationToken)
    {
        var existing = new HashSet<long>();
        var userShards = DataSource.Map.GetShardCount(ShardDimension.User);
        foreach (var group in orderIds.Where(o => (uint)o.UserShard < (uint)userShards).GroupBy(o => o.UserShard))
        {
            var shard = await DataSource.OpenAsync(DataSource.Map.GetRoute(ShardDimension.User, group.Key), ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                var found = await shard.Connection.QueryAsync<long>(new CommandDefinition(
                    shard.Sql(MappingSql.ExistingOrders(DataSource.Map.Tables.Root)), new { OrderIds = group.Select(o => o.Value).Distinct().ToArray() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
                existing.UnionWith(found);
            }
        }

        return existing;
    }

    private async Task<long> CheckDeclaredKeysAsync(ShardRoute route, bool repair, ConcurrentBag<AlternateKeyProblem> problems, CancellationToken cancellationToken)
    {
        long checkedCount = 0;
        var shard = await DataSource.OpenAsync(route, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var (orderId, kind, value) = (0L, "", "");
            while (true)
            {
                var rows = (await shard.Connection.QueryAsync<(long OrderId, long UserId, string Kind, string Value)>(new CommandDefinition(
                    shard.Sql(MappingSql.ScanOrderKeys(DataSource.Map.Tables.Root)), new { OrderId = orderId, Kind = kind, Value = value, Limit = Options.BatchSize }, cancellationToken: cancellationToken)).ConfigureAwait(false))
                    .ToList();
                if (rows.Count == 0)
                {
                    break;
                }

                (orderId, kind, value) = (rows[^1].OrderId, rows[^1].Kind, rows[^1].Value);
                checkedCount += rows.Count;
                var declared = rows.Select(r => (Key: new AlternateKey(r.Kind, r.Value), Target: new AlternateKeyTarget(r.UserId, OrderId.FromValidatedValue(r.OrderId)))).ToList();
                var mapped = await ReadMappingsAsync(declared.Select(d => d.Key), cancellationToken).ConfigureAwait(false);
                foreach (var (key, target) in declared)
                {
                    if (mapped.TryGetValue(key, out var mapping) && mapping.Target == target)
                    {
                        continue;
                    }

                    var kindFound = mapping is null ? AlternateKeyProblemKind.Missing : AlternateKeyProblemKind.Conflicting;
                    var mappedTarget = mapping?.Target;
                    var repaired = false;
                    if (repair && mapping is null)
                    {
                        var claim = await GetOrClaimAsync(key, target, cancellationToken).ConfigureAwait(false);
                        repaired = claim.Mapping.Target == target;
                        if (!repaired)
                        {
                            // Claimed by another target since it was read: now a conflict.
                            (kindFound, mappedTarget) = (AlternateKeyProblemKind.Conflicting, claim.Mapping.Target);
                        }
                    }

                    problems.Add(new AlternateKeyProblem(key, kindFound, mappedTarget, target, repaired));
                }

                if (rows.Count < Options.BatchSize)
                {
                    break;
                }
            }
        }

        return checkedCount;
    }

    private async Task<Dictionary<AlternateKey, AlternateKeyMapping>> ReadMappingsAsync(IEnumerable<AlternateKey> keys, CancellationToken cancellationToken)
    {
        var mappings = new Dictionary<AlternateKey, AlternateKeyMapping>();
        foreach (var group in keys.Distinct().GroupBy(GetRoute))
        {
            var shard = await DataSource.OpenAsync(group.Key, ReadPreference.Primary, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (shard.ConfigureAwait(false))
            {
                // Expand only the fixed part: the per-shard template cache is for fixed SQL, not for one text per batch.
                var sql = new StringBuilder(shard.Sql(MappingSql.SelectMany)).Append(" WHERE ");
                var parameters = new DynamicParameters();
                var i = 0;
                foreach (var key in group)
                {
                    var index = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    sql.Append(i == 0 ? "" : " OR ").Append("(kind = @K").Append(index).Append(" AND key_value = @V").Append(index).Append(')');
                    parameters.Add("K" + index, key.Kind);
                    parameters.Add("V" + index, key.Value);
                    i++;
                }

                var rows = await shard.Connection.QueryAsync<(string Kind, string Value, long UserId, long? OrderId, DateTime CreatedAt)>(new CommandDefinition(
                    sql.ToString(), parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
                foreach (var row in rows)
                {
                    var key = new AlternateKey(row.Kind, row.Value);
                    mappings[key] = ToMapping(key, row.UserId, row.OrderId, row.CreatedAt);
                }
            }
        }

        return mappings;
    }
}

using System.Globalization;
using System.Text;
using Dapper;

namespace ShardKit.AlternateKeys;

/// <summary>Claim-if-absent of many keys at once: one round trip per mapping shard instead of one or two per key.</summary>
public sealed partial class AlternateKeyStore
{
    private const int BatchAttempts = 5;
    private const int BatchKeys = 500;

    /// <summary>
    /// <see cref="GetOrClaimAsync"/> for many keys: each key is mapped to its target if it is not mapped yet, otherwise it
    /// keeps the mapping it has, whatever that names. The keys are grouped by mapping shard; per shard one statement pair
    /// (a multi-row <c>INSERT IGNORE</c>, then a <c>SELECT</c> of every key of the group) goes in one round trip, the shards
    /// side by side. The rows are inserted in one fixed key order, so concurrent batch claims of overlapping keys cannot
    /// deadlock on each other; a deadlock with another writer, or a key released between the two statements, runs the
    /// claim of that shard's keys again (claim-if-absent is idempotent).
    /// </summary>
    /// <param name="claims">The keys and the targets they should name if they are free; each key at most once.</param>
    /// <param name="cancellationToken">Cancels the claims (some shards' keys may be claimed by then).</param>
    /// <returns>The mapping every key holds now.</returns>
    /// <exception cref="ArgumentException">A key is <c>default</c> or appears twice, or a target's order is not its user's.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: a mapping shard cannot be reached.</exception>
    internal async Task<IReadOnlyDictionary<AlternateKey, AlternateKeyMapping>> GetOrClaimManyAsync(
        IReadOnlyCollection<(AlternateKey Key, AlternateKeyTarget Target)> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var byShard = new Dictionary<int, List<(AlternateKey Key, AlternateKeyTarget Target)>>();
        var seen = new HashSet<AlternateKey>();
        foreach (var claim in claims)
        {
            var route = GetRoute(claim.Key);
            ValidateTarget(claim.Target);
            if (!seen.Add(claim.Key))
            {
                throw new ArgumentException($"The alternate key {claim.Key} appears twice in one batch claim; claim each key once.", nameof(claims));
            }

            if (!byShard.TryGetValue(route.Shard, out var group))
            {
                byShard[route.Shard] = group = [];
            }

            group.Add(claim);
        }

        var result = new System.Collections.Concurrent.ConcurrentDictionary<AlternateKey, AlternateKeyMapping>();
        // At most BatchKeys keys per statement, so a large batch stays far below max_allowed_packet.
        var slices = byShard.Values.SelectMany(g => g.Chunk(BatchKeys)).ToList();
        await Parallel.ForEachAsync(slices, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (slice, ct) =>
        {
            foreach (var mapping in await ClaimOnShardAsync(slice, ct).ConfigureAwait(false))
            {
                result[mapping.Key] = mapping;
            }
        }).ConfigureAwait(false);
        return result;
    }

    private async Task<List<AlternateKeyMapping>> ClaimOnShardAsync((AlternateKey Key, AlternateKeyTarget Target)[] claims, CancellationToken cancellationToken)
    {
        // One fixed order for every batch: two batches that share keys take their locks in the same order.
        var pending = claims
            .OrderBy(c => c.Key.Kind, StringComparer.Ordinal)
            .ThenBy(c => c.Key.Value, StringComparer.Ordinal)
            .ToList();
        var found = new List<AlternateKeyMapping>(claims.Length);
        var shard = await DataSource.OpenAsync(GetRoute(pending[0].Key), ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            while (pending.Count > 0)
            {
                var now = OrderReader.Now(DataSource.TimeProvider);
                var (sql, parameters) = ClaimManySql(shard, pending, now);

                // A deadlock or lock wait with another claimer rolls the statement back: the retry claims the same keys again.
                var rows = await _claimRetry.ExecuteAsync(
                    static async (s, ct) => (await s.Shard.Connection.QueryAsync<(string Kind, string Value, long UserId, long? OrderId, DateTime CreatedAt)>(
                        new CommandDefinition(s.Sql, s.Parameters, cancellationToken: ct)).ConfigureAwait(false)).ToList(),
                    (Shard: shard, Sql: sql, Parameters: parameters),
                    cancellationToken).ConfigureAwait(false);

                var stored = new Dictionary<AlternateKey, AlternateKeyMapping>(rows.Count);
                foreach (var row in rows)
                {
                    var mapping = ToMapping(new AlternateKey(row.Kind, row.Value), row.UserId, row.OrderId, row.CreatedAt);
                    stored[mapping.Key] = mapping;
                }

                var released = new List<(AlternateKey Key, AlternateKeyTarget Target)>();
                foreach (var claim in pending)
                {
                    if (stored.TryGetValue(claim.Key, out var mapping))
                    {
                        _cache.Set(mapping);
                        found.Add(mapping);
                    }
                    else
                    {
                        // Released between the two statements: the key is free again, claim it anew.
                        released.Add(claim);
                    }
                }

                pending = released;
            }
        }

        return found;
    }

    private static (string Sql, DynamicParameters Parameters) ClaimManySql(ShardConnection shard, List<(AlternateKey Key, AlternateKeyTarget Target)> claims, DateTimeOffset now)
    {
        var mappings = shard.Sql(MappingSql.Mappings);
        var parameters = new DynamicParameters();
        parameters.Add("Now", now.UtcDateTime);
        var insert = new StringBuilder("INSERT IGNORE INTO ").Append(mappings).Append(" (kind, key_value, user_id, order_id, created_at) VALUES ");
        var select = new StringBuilder(";\nSELECT kind, key_value, user_id, order_id, created_at FROM ").Append(mappings).Append(" WHERE ");
        for (var i = 0; i < claims.Count; i++)
        {
            var (key, target) = claims[i];
            var separator = i == 0 ? "" : ", ";
            insert.Append(separator).Append(CultureInfo.InvariantCulture, $"(@K{i}, @V{i}, @U{i}, @O{i}, @Now)");
            select.Append(i == 0 ? "" : " OR ").Append(CultureInfo.InvariantCulture, $"(kind = @K{i} AND key_value = @V{i})");
            parameters.Add("K" + i.ToString(CultureInfo.InvariantCulture), key.Kind);
            parameters.Add("V" + i.ToString(CultureInfo.InvariantCulture), key.Value);
            parameters.Add("U" + i.ToString(CultureInfo.InvariantCulture), target.UserId);
            parameters.Add("O" + i.ToString(CultureInfo.InvariantCulture), target.OrderId?.Value);
        }

        return (insert.Append(select).ToString(), parameters);
    }
}

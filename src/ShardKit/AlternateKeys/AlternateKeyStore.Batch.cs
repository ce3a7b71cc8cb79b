using System.Globalization;
using System.Text;
using Dapper;

namespace ShardKit.AlternateKeys;

/// <summary>Claim-if-absent of many keys at once: one round trip per cluster of mapping shards instead of one or two per key.</summary>
public sealed partial class AlternateKeyStore
{
    private const int BatchAttempts = 5;
    private const int BatchKeys = 500;

    /// <summary>
    /// <see cref="GetOrClaimAsync"/> for many keys: each key is mapped to its target if it is not mapped yet, otherwise it
    /// keeps the mapping it has, whatever that names. The keys are grouped by the cluster that holds their mapping shard;
    /// per cluster one multi-statement text (per mapping shard a multi-row <c>INSERT IGNORE</c>) goes in one round trip (more
    /// only past <c>max_allowed_packet</c>), the clusters side by side; when it inserted every key, each names its target and
    /// nothing is read back, otherwise one <c>SELECT</c> of every key of the text reads what each holds now.
    /// The rows are inserted in one fixed order (shard, then key), so concurrent batch claims of overlapping keys cannot
    /// deadlock on each other; a deadlock with another writer, or a key released between the statements, runs the claim of
    /// that cluster's keys again (claim-if-absent is idempotent).
    /// </summary>
    /// <param name="claims">The keys and the targets they should name if they are free; each key at most once.</param>
    /// <param name="cancellationToken">Cancels the claims (some clusters' keys may be claimed by then).</param>
    /// <returns>The mapping every key holds now.</returns>
    /// <exception cref="ArgumentException">A key is <c>default</c> or appears twice, or a target's order is not its user's.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: a mapping shard cannot be reached.</exception>
    internal async Task<IReadOnlyDictionary<AlternateKey, AlternateKeyMapping>> GetOrClaimManyAsync(
        IReadOnlyCollection<(AlternateKey Key, AlternateKeyTarget Target)> claims, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var byCluster = new Dictionary<string, List<Claim>>(StringComparer.Ordinal);
        var seen = new HashSet<AlternateKey>();
        foreach (var (key, target) in claims)
        {
            var route = GetRoute(key);
            ValidateTarget(target);
            if (!seen.Add(key))
            {
                throw new ArgumentException($"The alternate key {key} appears twice in one batch claim; claim each key once.", nameof(claims));
            }

            if (!byCluster.TryGetValue(route.Cluster.Name, out var group))
            {
                byCluster[route.Cluster.Name] = group = [];
            }

            group.Add(new Claim(route, key, target));
        }

        var result = new System.Collections.Concurrent.ConcurrentDictionary<AlternateKey, AlternateKeyMapping>();
        await Task.WhenAll(byCluster.Values.Select(async group =>
        {
            foreach (var mapping in await ClaimOnClusterAsync(group, cancellationToken).ConfigureAwait(false))
            {
                result[mapping.Key] = mapping;
            }
        })).ConfigureAwait(false);
        return result;
    }

    private async Task<List<AlternateKeyMapping>> ClaimOnClusterAsync(List<Claim> claims, CancellationToken cancellationToken)
    {
        // One fixed order for every batch: two batches that share keys take their locks in the same order.
        var pending = claims
            .OrderBy(c => c.Route.Shard)
            .ThenBy(c => c.Key.Kind, StringComparer.Ordinal)
            .ThenBy(c => c.Key.Value, StringComparer.Ordinal)
            .ToList();
        var found = new List<AlternateKeyMapping>(claims.Count);
        var shard = await DataSource.OpenAsync(pending[0].Route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var limit = await BatchText.LimitAsync(shard, cancellationToken).ConfigureAwait(false);
            while (pending.Count > 0)
            {
                var now = OrderReader.Now(DataSource.TimeProvider);
                var stored = new Dictionary<AlternateKey, AlternateKeyMapping>(pending.Count);
                foreach (var (inserts, keys) in ClaimManySql(pending, now, limit))
                {
                    // A deadlock or lock wait with another claimer rolls the statement back: the retry claims the same keys again.
                    var inserted = await _claimRetry.ExecuteAsync(
                        static (s, ct) => new ValueTask<int>(BatchText.ExecuteAsync(s.Shard.Connection, null, s.Sql, ct)), (Shard: shard, Sql: inserts), cancellationToken).ConfigureAwait(false);
                    if (inserted == keys.Count)
                    {
                        // Every key was free (the first copy of a history): each names the target claimed here, nothing to read back.
                        var createdAt = new DateTime(now.UtcDateTime.Ticks - (now.UtcDateTime.Ticks % 10), DateTimeKind.Utc);
                        foreach (var claim in keys)
                        {
                            stored[claim.Key] = ToMapping(claim.Key, claim.Target.UserId, claim.Target.OrderId?.Value, createdAt);
                        }

                        continue;
                    }

                    var rows = await _claimRetry.ExecuteAsync(
                        static (s, ct) => new ValueTask<List<AlternateKeyMapping>>(ReadMappingsAsync(s.Shard, s.Sql, ct)), (Shard: shard, Sql: SelectSql(keys)), cancellationToken).ConfigureAwait(false);
                    foreach (var mapping in rows)
                    {
                        stored[mapping.Key] = mapping;
                    }
                }

                var released = new List<Claim>();
                foreach (var claim in pending)
                {
                    if (stored.TryGetValue(claim.Key, out var mapping))
                    {
                        _cache.Set(mapping);
                        found.Add(mapping);
                    }
                    else
                    {
                        // Released between the statements: the key is free again, claim it anew.
                        released.Add(claim);
                    }
                }

                pending = released;
            }
        }

        return found;
    }

    /// <summary>Runs a claim text and reads the mappings it selects; plain ADO.NET, as every text is new (Dapper would compile a reader for each).</summary>
    private static async Task<List<AlternateKeyMapping>> ReadMappingsAsync(ShardConnection shard, string sql, CancellationToken cancellationToken)
    {
        var mappings = new List<AlternateKeyMapping>();
        var command = shard.Connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = sql;
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    mappings.Add(ToMapping(
                        new AlternateKey(reader.GetString(0), reader.GetString(1)), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.GetDateTime(4)));
                }
            }
        }

        return mappings;
    }

    /// <summary>
    /// The claim texts of one cluster's keys (sorted by shard and key), each as its inserts (per mapping shard and slice of
    /// at most <see cref="BatchKeys"/> keys an <c>INSERT IGNORE</c>) with the claims it holds (<see cref="SelectSql"/> reads
    /// them back when needed); a new text starts before one would pass <paramref name="limit"/> bytes (chars × 4 bounds the
    /// UTF-8 bytes). Values are literals.
    /// </summary>
    private static List<(string Inserts, List<Claim> Claims)> ClaimManySql(List<Claim> claims, DateTimeOffset now, int limit)
    {
        var texts = new List<(string, List<Claim>)>();
        var inserts = new StringBuilder();
        var held = new List<Claim>();
        var at = new StringBuilder();
        SqlLiteral.Append(at, now.UtcDateTime);
        var createdAt = at.ToString();
        foreach (var slice in Slices(claims))
        {
            var insert = new StringBuilder("INSERT IGNORE INTO ").Append(slice[0].Route.Slot.ExpandSql(MappingSql.Mappings)).Append(" (kind, key_value, user_id, order_id, created_at) VALUES ");
            for (var i = 0; i < slice.Length; i++)
            {
                var (_, key, target) = slice[i];
                insert.Append(i == 0 ? "(" : ", (");
                SqlLiteral.Append(insert, key.Kind);
                SqlLiteral.Append(insert.Append(", "), key.Value);
                insert.Append(", ").Append(target.UserId).Append(", ");
                SqlLiteral.Append(insert, target.OrderId?.Value);
                insert.Append(", ").Append(createdAt).Append(')');
            }

            insert.Append(";\n");
            if (inserts.Length > 0 && (inserts.Length + insert.Length) * 4 > limit)
            {
                texts.Add((inserts.ToString(), held));
                inserts.Clear();
                held = [];
            }

            inserts.Append(insert);
            held.AddRange(slice);
        }

        texts.Add((inserts.ToString(), held));
        return texts;
    }

    /// <summary>
    /// The read of what <paramref name="claims"/> (one text's claims) hold now: one <c>SELECT</c> per mapping shard and slice,
    /// joined by <c>UNION ALL</c>. Built only when an insert found keys taken (a first copy needs none).
    /// </summary>
    private static string SelectSql(List<Claim> claims)
    {
        var selects = new StringBuilder();
        foreach (var slice in Slices(claims))
        {
            selects.Append(selects.Length == 0 ? "" : "\nUNION ALL ").Append("SELECT kind, key_value, user_id, order_id, created_at FROM ")
                .Append(slice[0].Route.Slot.ExpandSql(MappingSql.Mappings)).Append(" WHERE (kind, key_value) IN (");
            for (var i = 0; i < slice.Length; i++)
            {
                SqlLiteral.Append(selects.Append(i == 0 ? "(" : ", ("), slice[i].Key.Kind);
                SqlLiteral.Append(selects.Append(", "), slice[i].Key.Value);
                selects.Append(')');
            }

            selects.Append(')');
        }

        return selects.ToString();
    }

    /// <summary>The claims per mapping shard, in slices of at most <see cref="BatchKeys"/> keys (one statement each).</summary>
    private static IEnumerable<Claim[]> Slices(List<Claim> claims) => claims.GroupBy(c => c.Route.Shard).SelectMany(g => g.Chunk(BatchKeys));

    private readonly record struct Claim(ShardRoute Route, AlternateKey Key, AlternateKeyTarget Target);
}

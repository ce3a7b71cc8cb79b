using System.Globalization;

namespace ShardKit.Topology;

/// <summary>
/// Validates <see cref="ShardKitOptions"/> and compiles them into a <see cref="ShardMap"/>. Every error is
/// collected (not only the first) and names the entry at fault; no message ever contains a password.
/// </summary>
internal static class TopologyCompiler
{
    public const string DefaultUserSchemaFormat = "sk_user_{0:000}";
    public const string DefaultMerchantSchemaFormat = "sk_merchant_{0:000}";
    private const int MaxIdentifierLength = 64;

    public static ShardMap? Compile(ShardKitOptions options, out IReadOnlyList<string> errors) => Compile(options, overrides: null, out errors);

    /// <summary>
    /// Compiles <paramref name="options"/> with <paramref name="overrides"/> (moved shards) placed on their cluster instead of the
    /// one the options name. An override that names a shard or cluster the options do not have is ignored: the options decide
    /// what exists.
    /// </summary>
    public static ShardMap? Compile(ShardKitOptions options, IReadOnlyList<PlacementOverride>? overrides, out IReadOnlyList<string> errors)
    {
        var list = new List<string>();
        if (options.MapVersion < 1)
        {
            list.Add($"MapVersion is {options.MapVersion}; it must be at least 1");
        }

        if (options.CausalReadWait <= TimeSpan.Zero || options.CausalReadWait > TimeSpan.FromSeconds(10))
        {
            list.Add(string.Create(CultureInfo.InvariantCulture, $"CausalReadWait is {options.CausalReadWait}; it must be more than zero and at most 00:00:10"));
        }

        Resilience.ResilienceOptionsValidation.Validate(options, list);
        var clusters = CompileClusters(options, list, out var legacy, out var legacyReplicas);
        ValidateShardMoves(options.ShardMoves, clusters, list);
        var tables = TableModel.Compile(options.Tables, list);
        var legacyTables = LegacyTables.Compile(options.LegacyTables, tables, list);
        var dimensions = options.Dimensions ?? new ShardDimensionsOptions();
        var user = CompileDimension(ShardDimension.User, dimensions.User ?? new ShardDimensionOptions(), clusters, list);
        var merchant = CompileDimension(ShardDimension.Merchant, dimensions.Merchant ?? new ShardDimensionOptions(), clusters, list);
        if (user is not null && merchant is not null)
        {
            CheckSchemasAcrossDimensions(user, merchant, list);
        }

        errors = list;
        if (list.Count > 0 || user is null || merchant is null || tables is null)
        {
            return null;
        }

        foreach (var moved in overrides ?? [])
        {
            var plan = moved.Dimension == ShardDimension.User ? user : merchant;
            var cluster = clusters.FindIndex(c => string.Equals(c.Name, moved.Cluster, StringComparison.OrdinalIgnoreCase));
            if (cluster >= 0 && (uint)moved.Shard < (uint)plan.ClusterIndexes.Length)
            {
                plan.ClusterIndexes[moved.Shard] = cluster;
            }
        }

        return new ShardMap(options.MapVersion, clusters, legacy, user, merchant, tables, legacyTables) { LegacyReplicas = legacyReplicas };
    }

    private static void ValidateShardMoves(ShardMovesOptions? moves, List<ShardCluster> clusters, List<string> errors)
    {
        if (moves is null)
        {
            return;
        }

        if (moves.PollInterval < TimeSpan.FromMilliseconds(50))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"ShardMoves:PollInterval is {moves.PollInterval}; it must be at least 00:00:00.050"));
        }

        if (moves.RetryWait < TimeSpan.Zero)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"ShardMoves:RetryWait is {moves.RetryWait}; it must not be negative"));
        }

        if (!string.IsNullOrEmpty(moves.ControlCluster) && clusters.Count > 0
            && !clusters.Exists(c => string.Equals(c.Name, moves.ControlCluster, StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"ShardMoves:ControlCluster refers to unknown cluster '{moves.ControlCluster}'");
        }
    }

    private static List<ShardCluster> CompileClusters(ShardKitOptions options, List<string> errors, out ShardEndpoint? legacy, out IReadOnlyList<ShardEndpoint> legacyReplicas)
    {
        var clusters = new List<ShardCluster>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var endpoints = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        legacy = null;

        if (options.Clusters is null || options.Clusters.Count == 0)
        {
            errors.Add("Clusters is empty: at least one cluster is required");
        }
        else
        {
            for (var i = 0; i < options.Clusters.Count; i++)
            {
                var entry = options.Clusters[i];
                if (entry is null)
                {
                    errors.Add($"cluster #{i} is empty");
                    continue;
                }

                var name = entry.Name?.Trim() ?? "";
                if (name.Length == 0)
                {
                    errors.Add($"cluster #{i} has no Name");
                    name = "#" + i.ToString(CultureInfo.InvariantCulture);
                }
                else if (!names.Add(name))
                {
                    errors.Add($"cluster name '{name}' is used by more than one cluster");
                }

                var primary = ParseEndpoint(entry.Primary, $"cluster '{name}' Primary", endpoints, errors);
                var replicas = new List<ShardEndpoint>();
                var replicaList = entry.Replicas ?? [];
                for (var r = 0; r < replicaList.Count; r++)
                {
                    var replica = ParseEndpoint(replicaList[r], $"cluster '{name}' replica #{r}", endpoints, errors);
                    if (replica is not null)
                    {
                        replicas.Add(replica);
                    }
                }

                if (primary is not null)
                {
                    clusters.Add(new ShardCluster(clusters.Count, name, primary, replicas));
                }
            }
        }

        if (!string.IsNullOrWhiteSpace(options.Legacy))
        {
            legacy = ParseEndpoint(options.Legacy, "Legacy", endpoints, errors);
        }

        var replicaEntries = options.LegacyReplicas ?? [];
        if (replicaEntries.Count > 0 && string.IsNullOrWhiteSpace(options.Legacy))
        {
            errors.Add("LegacyReplicas are configured without Legacy: replicas of the legacy database need its primary");
        }

        var parsed = new List<ShardEndpoint>();
        for (var r = 0; r < replicaEntries.Count; r++)
        {
            if (ParseEndpoint(replicaEntries[r], $"legacy replica #{r}", endpoints, errors) is { } replica)
            {
                parsed.Add(replica);
            }
        }

        legacyReplicas = parsed;

        return clusters;
    }

    private static ShardEndpoint? ParseEndpoint(string? connectionString, string what, Dictionary<string, string> endpoints, List<string> errors)
    {
        if (!ConnectionStrings.TryParse(connectionString, out var endpoint, out var error))
        {
            errors.Add($"{what} connection string {error}");
            return null;
        }

        if (endpoints.TryGetValue(endpoint!.Address, out var owner))
        {
            errors.Add($"endpoint {endpoint.Address} is used by both {owner} and {what}");
        }
        else
        {
            endpoints.Add(endpoint.Address, what);
        }

        return endpoint;
    }

    private static TopologyPlan? CompileDimension(ShardDimension dimension, ShardDimensionOptions options, List<ShardCluster> clusters, List<string> errors)
    {
        var name = ShardSlot.DimensionName(dimension);
        var count = options.ShardCount;
        if (count is < 1 or > ShardDimensionOptions.MaxShardCount)
        {
            errors.Add($"{name} ShardCount is {count}; it must be from 1 to {ShardDimensionOptions.MaxShardCount}");
            return null;
        }

        var errorCount = errors.Count;
        var schemas = CompileSchemaNames(name, options.SchemaNameFormat ?? DefaultFormat(dimension), count, errors);
        var placement = options.Placement is { Count: > 0 }
            ? CompilePlacement(name, options.Placement, count, clusters, errors)
            : DefaultPlacement(count, clusters.Count);

        return errors.Count == errorCount && schemas is not null && placement is not null
            ? new TopologyPlan(schemas, placement)
            : null;
    }

    private static string DefaultFormat(ShardDimension dimension) =>
        dimension == ShardDimension.User ? DefaultUserSchemaFormat : DefaultMerchantSchemaFormat;

    private static string[]? CompileSchemaNames(string dimension, string format, int count, List<string> errors)
    {
        var schemas = new string[count];
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var shard = 0; shard < count; shard++)
        {
            string schema;
            try
            {
                schema = string.Format(CultureInfo.InvariantCulture, format, shard);
            }
            catch (FormatException)
            {
                errors.Add($"{dimension} SchemaNameFormat '{format}' is not a valid format string (use {{0}} for the shard index, e.g. sk_{dimension}_{{0:000}})");
                return null;
            }

            if (!IsValidIdentifier(schema))
            {
                errors.Add($"{dimension} SchemaNameFormat '{format}' gives '{schema}' for shard {shard}, which is not a valid schema name (letters, digits, '_' and '$', at most {MaxIdentifierLength} characters)");
                return null;
            }

            if (seen.TryGetValue(schema, out var other))
            {
                errors.Add($"{dimension} SchemaNameFormat '{format}' gives the same schema '{schema}' to {dimension} shards {other} and {shard}");
                return null;
            }

            seen.Add(schema, shard);
            schemas[shard] = schema;
        }

        return schemas;
    }

    private static void CheckSchemasAcrossDimensions(TopologyPlan user, TopologyPlan merchant, List<string> errors)
    {
        var userSchemas = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < user.Schemas.Length; i++)
        {
            userSchemas[user.Schemas[i]] = i;
        }

        for (var i = 0; i < merchant.Schemas.Length; i++)
        {
            if (userSchemas.TryGetValue(merchant.Schemas[i], out var userShard))
            {
                errors.Add($"user shard {userShard} and merchant shard {i} both use schema '{merchant.Schemas[i]}'; the SchemaNameFormat of the two dimensions must differ");
                return;
            }
        }
    }

    internal static bool IsValidIdentifier(string name)
    {
        if (name.Length is 0 or > MaxIdentifierLength)
        {
            return false;
        }

        var allDigits = true;
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '$'))
            {
                return false;
            }

            allDigits &= char.IsAsciiDigit(c);
        }

        return !allDigits;
    }

    private static int[]? DefaultPlacement(int count, int clusterCount)
    {
        if (clusterCount == 0)
        {
            return null;
        }

        var placement = new int[count];
        for (var cluster = 0; cluster < clusterCount; cluster++)
        {
            var first = (int)((long)cluster * count / clusterCount);
            var end = (int)((long)(cluster + 1) * count / clusterCount);
            for (var shard = first; shard < end; shard++)
            {
                placement[shard] = cluster;
            }
        }

        return placement;
    }

    private static int[]? CompilePlacement(string dimension, IList<ShardPlacementOptions> entries, int count, List<ShardCluster> clusters, List<string> errors)
    {
        // Every shard collects the clusters that claim it; exactly one claim is valid.
        var claims = new List<string>?[count];
        var placement = new int[count];
        var valid = true;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var range = entry?.Shards?.Trim() ?? "";
            if (!TryParseRange(range, out var first, out var last))
            {
                errors.Add($"{dimension} placement #{i} has Shards '{range}', which is not a shard index or range like 0-59");
                valid = false;
                continue;
            }

            if (last >= count)
            {
                errors.Add($"{dimension} placement #{i} has Shards '{range}', beyond the {count} {dimension} shards (0-{count - 1})");
                valid = false;
                continue;
            }

            var clusterName = entry!.Cluster?.Trim() ?? "";
            var cluster = clusters.FindIndex(c => string.Equals(c.Name, clusterName, StringComparison.OrdinalIgnoreCase));
            if (cluster < 0)
            {
                errors.Add($"{dimension} placement #{i} ({range}) refers to unknown cluster '{clusterName}'");
                valid = false;
                continue;
            }

            for (var shard = first; shard <= last; shard++)
            {
                (claims[shard] ??= []).Add(clusters[cluster].Name);
                placement[shard] = cluster;
            }
        }

        if (!valid)
        {
            return null;
        }

        var errorCount = errors.Count;
        ReportRuns(claims, c => c is null, (a, b) => true, (first, last, _) =>
            errors.Add(first == last
                ? $"{dimension} shard {first} is not mapped"
                : $"{dimension} shards {first}-{last} are not mapped"));
        ReportRuns(
            claims,
            c => c is { Count: > 1 },
            (a, b) => a!.SequenceEqual(b!, StringComparer.Ordinal),
            (first, last, owners) =>
            {
                var times = owners!.Count == 2 ? "twice" : $"{owners.Count} times";
                var where = string.Join(" and ", owners);
                errors.Add(first == last
                    ? $"{dimension} shard {first} is mapped {times} ({where})"
                    : $"{dimension} shards {first}-{last} are mapped {times} ({where})");
            });

        return errors.Count == errorCount ? placement : null;
    }

    /// <summary>Reports consecutive shards that match <paramref name="isBad"/> and agree with each other as one run.</summary>
    private static void ReportRuns(
        List<string>?[] claims,
        Func<List<string>?, bool> isBad,
        Func<List<string>?, List<string>?, bool> sameRun,
        Action<int, int, List<string>?> report)
    {
        var shard = 0;
        while (shard < claims.Length)
        {
            if (!isBad(claims[shard]))
            {
                shard++;
                continue;
            }

            var first = shard;
            while (shard + 1 < claims.Length && isBad(claims[shard + 1]) && sameRun(claims[first], claims[shard + 1]))
            {
                shard++;
            }

            report(first, shard, claims[first]);
            shard++;
        }
    }

    internal static bool TryParseRange(string text, out int first, out int last)
    {
        first = last = -1;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            if (!TryParseIndex(text, out first))
            {
                return false;
            }

            last = first;
            return true;
        }

        return TryParseIndex(text[..dash], out first) && TryParseIndex(text[(dash + 1)..], out last) && first <= last;
    }

    private static bool TryParseIndex(string text, out int value) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value);
}

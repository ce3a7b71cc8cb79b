using System.Globalization;
using System.Text.RegularExpressions;
using ShardKit.Tables;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// Parses the text options of <c>shardkit query</c> (lists, sorts, aggregates, shard ranges, timeouts, parameters) into
/// ShardKit's query types. Every mistake is a <see cref="CliException.Usage"/> that names the option and what is allowed.
/// </summary>
internal static partial class QueryArguments
{
    /// <summary><c>a,b, c</c> as names; null or blank gives null.</summary>
    public static IReadOnlyList<string>? Names(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var names = text.Split(',', StringSplitOptions.TrimEntries);
        foreach (var name in names)
        {
            if (!Identifier().IsMatch(name))
            {
                throw CliException.Usage($"{option}: '{name}' is not a column name (letters, digits, _ and $, separated by commas).");
            }
        }

        return names;
    }

    /// <summary><c>created_at desc, id</c> as sort terms.</summary>
    public static IReadOnlyList<CrossShardSort> OrderBy(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        var sorts = new List<CrossShardSort>();
        foreach (var term in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var words = term.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length is < 1 or > 2 || !Identifier().IsMatch(words[0])
                || (words.Length == 2 && !words[1].Equals("asc", StringComparison.OrdinalIgnoreCase) && !words[1].Equals("desc", StringComparison.OrdinalIgnoreCase)))
            {
                throw CliException.Usage($"--order-by: '{term}' is not a sort term; write \"column [asc|desc]\", separated by commas (e.g. \"created_at desc,id\").");
            }

            sorts.Add(new CrossShardSort(words[0], words.Length == 2 && words[1].Equals("desc", StringComparison.OrdinalIgnoreCase)));
        }

        return sorts;
    }

    /// <summary><c>count(*),sum(total),max(state)</c> as aggregates.</summary>
    public static IReadOnlyList<CrossShardAggregate> Aggregates(string text)
    {
        var aggregates = new List<CrossShardAggregate>();
        foreach (var term in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var match = Aggregate().Match(term);
            if (!match.Success)
            {
                throw CliException.Usage($"--agg: '{term}' is not an aggregate; write count(*), count(col), sum(col), avg(col), min(col) or max(col), separated by commas.");
            }

            var function = Enum.Parse<CrossShardAggregateFunction>(match.Groups["f"].Value, ignoreCase: true);
            var column = match.Groups["c"].Value;
            if (column == "*" && function != CrossShardAggregateFunction.Count)
            {
                throw CliException.Usage($"--agg: '{term}' needs a column; only count may take *.");
            }

            aggregates.Add(new CrossShardAggregate(function, column == "*" ? null : column));
        }

        return aggregates;
    }

    /// <summary><c>0-3,7</c> as shard numbers; null or blank gives null (every shard).</summary>
    public static IReadOnlyList<int>? Shards(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var shards = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2
                || !int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                || !int.TryParse(bounds[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                || last < first)
            {
                throw CliException.Usage($"--shards: '{part}' is not a shard or a range; write shard numbers and ranges separated by commas (e.g. 0-3,7).");
            }

            for (var shard = first; shard <= last; shard++)
            {
                shards.Add(shard);
            }
        }

        return shards;
    }

    /// <summary><c>5s</c>, <c>500ms</c>, <c>2m</c> or a number of seconds; null or blank gives null (the default).</summary>
    public static TimeSpan? Timeout(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var match = Duration().Match(text.Trim());
        if (!match.Success || !double.TryParse(match.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            throw CliException.Usage($"--timeout: '{text}' is not a duration; write e.g. 5s, 500ms or 2m.");
        }

        var timeout = match.Groups["u"].Value.ToLowerInvariant() switch
        {
            "ms" => TimeSpan.FromMilliseconds(number),
            "m" => TimeSpan.FromMinutes(number),
            _ => TimeSpan.FromSeconds(number),
        };
        return timeout > TimeSpan.Zero && timeout <= TimeSpan.FromHours(1)
            ? timeout
            : throw CliException.Usage($"--timeout: '{text}' must be more than zero and at most 1 hour.");
    }

    /// <summary><c>name=value</c>: the parameter's name (without <c>@</c>) and its text.</summary>
    public static (string Name, string Value) Parameter(string text)
    {
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        var name = equals < 0 ? text : text[..equals].Trim().TrimStart('@');
        if (equals < 0 || !ParameterName().IsMatch(name))
        {
            throw CliException.Usage($"--param: '{text}' is not name=value (a name of letters, digits and _, used as @name in --where).");
        }

        if (name.StartsWith("sk_", StringComparison.OrdinalIgnoreCase))
        {
            throw CliException.Usage($"--param: '{name}' is reserved (names starting with sk_ are ShardKit's own).");
        }

        return (name, text[(equals + 1)..]);
    }

    /// <summary>
    /// A parameter's value: typed as the column of the same name when the table has one (a number, a decimal, a date and
    /// time, a time), otherwise the text as it is (the server converts it where it is compared).
    /// </summary>
    public static object Value(string name, string text, ColumnShape? column)
    {
        if (column is null)
        {
            return text;
        }

        var kind = CrossShard.ColumnKinds.Of(column);
        var invariant = CultureInfo.InvariantCulture;
        object? value = kind switch
        {
            CrossShard.ColumnKind.Int64 => long.TryParse(text, NumberStyles.Integer, invariant, out var l) ? l
                : bool.TryParse(text, out var b) ? (b ? 1L : 0L) : null,
            CrossShard.ColumnKind.Decimal => decimal.TryParse(text, NumberStyles.Number, invariant, out var d) ? d : null,
            CrossShard.ColumnKind.Double => double.TryParse(text, NumberStyles.Float, invariant, out var f) ? f : null,
            CrossShard.ColumnKind.DateTime => DateTime.TryParse(text, invariant, DateTimeStyles.AllowWhiteSpaces, out var t) ? t : null,
            CrossShard.ColumnKind.Time => TimeSpan.TryParse(text, invariant, out var s) ? s : null,
            _ => text,
        };
        return value ?? throw CliException.Usage(
            $"--param {name}={text}: '{text}' is not a value of column {column.Name} ({column.ColumnType.ToUpperInvariant()}), which the parameter is named after.");
    }

    [GeneratedRegex("^[A-Za-z0-9_$]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterName();

    [GeneratedRegex(@"^(?<f>count|sum|avg|min|max)\s*\(\s*(?<c>\*|[A-Za-z0-9_$]{1,64})\s*\)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Aggregate();

    [GeneratedRegex(@"^(?<n>[0-9]+(\.[0-9]+)?)\s*(?<u>ms|s|m)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Duration();
}

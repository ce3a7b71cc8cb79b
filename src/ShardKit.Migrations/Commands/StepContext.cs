using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace ShardKit.Migrations.Commands;

/// <summary>What a <c>migrate</c> subcommand was asked: its options, output writers, and how to record and replay it for <c>resume</c>.</summary>
internal sealed class StepContext
{
    private readonly IReadOnlyList<Option> _extra;

    public StepContext(ParseResult parseResult, string name, bool json, IReadOnlyList<Option> extra)
    {
        ParseResult = parseResult;
        Name = name;
        Json = json;
        _extra = extra;
    }

    public ParseResult ParseResult { get; }

    public string Name { get; }

    public bool Json { get; }

    public TextWriter Output => ParseResult.InvocationConfiguration.Output;

    public TextWriter Error => ParseResult.InvocationConfiguration.Error;

    public bool Has(string option) => _extra.Any(o => o.Name == option);

    public T Get<T>(string option) => Has(option) ? ParseResult.GetValue<T>(option)! : default!;

    /// <summary>The buckets of <c>--buckets</c> (a list like <c>0,5,10-19</c>), or null when not given.</summary>
    /// <exception cref="ArgumentException">The list is malformed or names a bucket outside 0..count-1.</exception>
    public List<int>? Buckets(int count)
    {
        var text = Has("--buckets") ? ParseResult.GetValue<string?>("--buckets") : null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var buckets = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var range = part.Split('-', 2);
            if (!int.TryParse(range[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                || !int.TryParse(range.Length == 2 ? range[1] : range[0], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                || first > last || last >= count)
            {
                throw new ArgumentException($"--buckets: '{part}' is not a bucket or range of buckets between 0 and {count - 1} (example: 0,5,10-19).");
            }

            for (var b = first; b <= last; b++)
            {
                buckets.Add(b);
            }
        }

        return [.. buckets];
    }

    /// <summary>The subcommand and its own options as a JSON array (never the connection strings: they hold passwords).</summary>
    public string Recorded()
    {
        var args = new List<string> { Name };
        foreach (var option in _extra)
        {
            if (ParseResult.GetResult(option) is { Implicit: false } result)
            {
                args.Add(option.Name);
                args.AddRange(result.Tokens.Select(t => t.Value));
            }
        }

        return JsonSerializer.Serialize(args);
    }

    /// <summary>The connection options of this invocation, to pass on to a resumed command.</summary>
    public List<string> Connection()
    {
        var args = new List<string> { "--config", ParseResult.GetValue<string>("--config")! };
        if (ParseResult.GetValue<string?>("--source") is { } source)
        {
            args.AddRange(["--source", source]);
        }

        if (ParseResult.GetValue<FileInfo?>("--source-password-file") is { } passwordFile)
        {
            args.AddRange(["--source-password-file", passwordFile.FullName]);
        }

        if (ParseResult.GetValue<string?>("--control-cluster") is { } control)
        {
            args.AddRange(["--control-cluster", control]);
        }

        return args;
    }
}

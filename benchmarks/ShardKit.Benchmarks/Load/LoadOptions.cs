using System.Globalization;

namespace ShardKit.Benchmarks.Load;

/// <summary>The <c>load</c> verb's arguments: <c>[--seconds S] [--workers 1,4,16] [--rounds R] [--json]</c>.</summary>
internal sealed class LoadOptions
{
    public const string Usage = "usage: load [--seconds S (1-3600, default 10)] [--workers N,N,... (1-256 each, default 1,4,16)] [--rounds R (1-20, default 3)] [--json]";

    public int Seconds { get; private init; } = 10;

    public IReadOnlyList<int> Workers { get; private init; } = [1, 4, 16];

    /// <summary>How many times every client runs at each worker count, in a rotated order each round.</summary>
    public int Rounds { get; private init; } = 3;

    public bool Json { get; private init; }

    /// <exception cref="ArgumentException">An unknown argument, a missing value, or a value out of range.</exception>
    public static LoadOptions Parse(IReadOnlyList<string> args)
    {
        var seconds = 10;
        IReadOnlyList<int> workers = [1, 4, 16];
        var json = false;
        var rounds = 3;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--seconds":
                    seconds = ParseInt(Value(args, ref i), "--seconds", 1, 3600);
                    break;
                case "--workers":
                    var list = Value(args, ref i).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    if (list.Length == 0)
                    {
                        throw new ArgumentException("--workers needs a comma-separated list of worker counts, e.g. 1,4,16.");
                    }

                    workers = [.. list.Select(w => ParseInt(w, "--workers", 1, 256)).Distinct()];
                    break;
                case "--rounds":
                    rounds = ParseInt(Value(args, ref i), "--rounds", 1, 20);
                    break;
                case "--json":
                    json = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        return new LoadOptions { Seconds = seconds, Workers = workers, Rounds = rounds, Json = json };
    }

    private static string Value(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"{args[i]} needs a value.");
        }

        return args[++i];
    }

    private static int ParseInt(string text, string option, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"{option} must be a whole number from {min} to {max}; got '{text}'.");
}

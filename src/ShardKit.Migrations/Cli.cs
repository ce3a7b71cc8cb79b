using System.CommandLine;
using Spectre.Console;

namespace ShardKit.Migrations;

/// <summary>Console helpers shared by every command.</summary>
internal static class Cli
{
    /// <summary>A Spectre console over the invocation's output (so tests can capture it).</summary>
    public static IAnsiConsole Console(ParseResult parseResult) =>
        AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(parseResult.InvocationConfiguration.Output),
        });

    /// <summary>Makes an integer option a usage error outside <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static void RequireRange(Option<int> option, int min, int max)
    {
        option.Validators.Add(result =>
        {
            // A value that is not a number is already reported by the parser.
            if (result.Tokens.Count == 0 || !int.TryParse(result.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return;
            }

            if (value < min || value > max)
            {
                result.AddError($"{option.Name} must be between {min} and {max}; got {value}.");
            }
        });
    }

    /// <summary>Writes a one-line error to the invocation's error output, without a stack trace.</summary>
    public static void Error(ParseResult parseResult, string message) => parseResult.InvocationConfiguration.Error.WriteLine($"error: {message}");
}

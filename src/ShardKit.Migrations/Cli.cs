using System.CommandLine;
using System.Globalization;
using System.Numerics;
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

    /// <summary>
    /// Sets a command's action behind the one error handler: an exception it throws becomes one line (or a JSON error) and
    /// its exit code (<see cref="CliErrors"/>), whether the command runs under <c>shardkit</c> or on its own.
    /// </summary>
    public static void SetAction(Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            try
            {
                return await action(parseResult, cancellationToken);
            }
            catch (Exception exception)
            {
                return CliErrors.Report(parseResult, exception, cancellationToken.IsCancellationRequested);
            }
        });

    /// <summary>Sets a synchronous command action behind the one error handler (see the asynchronous overload).</summary>
    public static void SetAction(Command command, Func<ParseResult, int> action) =>
        command.SetAction(parseResult =>
        {
            try
            {
                return action(parseResult);
            }
            catch (Exception exception)
            {
                return CliErrors.Report(parseResult, exception, cancelled: false);
            }
        });

    /// <summary>Makes an integer option a usage error outside <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static void RequireRange(Option<int> option, int min, int max)
    {
        option.Validators.Add(result =>
        {
            // A value that is not a number is already reported by the parser.
            if (result.Tokens.Count == 0 || !int.TryParse(result.Tokens[^1].Value, CultureInfo.InvariantCulture, out var value))
            {
                return;
            }

            if (value < min || value > max)
            {
                result.AddError($"{option.Name} must be between {min} and {max}; got {value}.");
            }
        });
    }

    /// <summary>
    /// Makes a number option (a rate or a limit) a usage error when negative, or above <paramref name="max"/> when given
    /// (a value that is not a number is reported by the parser).
    /// </summary>
    public static void RequireNonNegative<T>(Option<T> option, T? max = null)
        where T : struct, INumber<T>
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0
                || !T.TryParse(result.Tokens[^1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return;
            }

            if (T.IsNegative(value) || T.IsNaN(value) || !T.IsFinite(value) || value > max)
            {
                result.AddError(max is { } limit
                    ? string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be between 0 and {limit}; got {result.Tokens[^1].Value}.")
                    : $"{option.Name} must be zero or more; got {result.Tokens[^1].Value}.");
            }
        });
    }

    /// <summary>Writes a one-line error to the invocation's error output, without a stack trace.</summary>
    public static void Error(ParseResult parseResult, string message) => parseResult.InvocationConfiguration.Error.WriteLine($"error: {message}");
}

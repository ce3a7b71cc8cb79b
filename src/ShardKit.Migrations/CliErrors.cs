using System.CommandLine;
using System.CommandLine.Parsing;
using System.Data.Common;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ShardKit.Migrations;

/// <summary>
/// The one place that turns a parser error or an exception into an exit code and one line on standard error (or, with
/// <c>--json</c>, one JSON object on standard output): no command prints a stack trace for any input.
/// </summary>
internal static partial class CliErrors
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Whether the command line asked for JSON output.</summary>
    public static bool WantsJson(ParseResult parseResult) =>
        parseResult.Tokens.Any(t => t.Type == TokenType.Option && t.Value == "--json");

    /// <summary>Reports the parser's errors as one usage error; returns <see cref="ExitCodes.Usage"/>.</summary>
    public static int ReportParseErrors(ParseResult parseResult, InvocationConfiguration configuration)
    {
        var problems = parseResult.Errors.Select(e => Redact(Flatten(e.Message))).Distinct().ToList();
        var path = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            path.Insert(0, result.Command.Name);
        }

        if (path.Count == 0 || path[0] != ShardKitCli.CommandName)
        {
            path.Insert(0, ShardKitCli.CommandName);
        }

        var message = string.Join(" ", problems) + $" (`{string.Join(' ', path)} --help` shows the usage)";
        return Write(configuration, WantsJson(parseResult), ExitCodes.Usage, message, problems);
    }

    /// <summary>Reports <paramref name="exception"/> thrown by a command; returns its exit code.</summary>
    public static int Report(ParseResult parseResult, Exception exception, bool cancelled)
    {
        var (exitCode, message, problems) = Classify(exception, cancelled);
        return Write(parseResult.InvocationConfiguration, WantsJson(parseResult), exitCode, message, problems);
    }

    /// <summary>The exit code and one-line message for an exception (no stack trace, no password).</summary>
    public static (int ExitCode, string Message, IReadOnlyList<string> Problems) Classify(Exception exception, bool cancelled)
    {
        switch (exception)
        {
            case CliException cli:
                return (cli.ExitCode, Redact(Flatten(cli.Message)), cli.Problems.Select(Redact).ToList());
            case OperationCanceledException when cancelled:
                return (ExitCodes.Interrupted, "interrupted; stopped at a safe point.", []);
        }

        if (AuthenticationFailure(exception) is { } denied)
        {
            return (ExitCodes.Usage, "authentication failed: " + Redact(Flatten(denied)) + " Check the user and password.", []);
        }

        var message = Redact(OneLine(exception));
        return exception switch
        {
            ArgumentException or FormatException => (ExitCodes.Usage, message, []),
            ShardKitException { ErrorCode: ShardKitErrorCode.InvalidTopology or ShardKitErrorCode.InvalidOrderId } => (ExitCodes.Usage, message, []),
            FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or PathTooLongException => (ExitCodes.Usage, message, []),
            _ when IsUnreachable(exception) => (ExitCodes.Unreachable, message, []),
            _ => (ExitCodes.Failed, message, []),
        };
    }

    /// <summary>
    /// Whether <paramref name="exception"/> says a server could not be reached (a refused or lost connection, a connect
    /// timeout, an open circuit breaker), rather than that the server answered with an error. A wrong password is not.
    /// </summary>
    public static bool IsUnreachable(Exception exception)
    {
        if (AuthenticationFailure(exception) is not null)
        {
            return false;
        }

        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is ShardKitException { ErrorCode: ShardKitErrorCode.ShardUnavailable or ShardKitErrorCode.Overloaded }
                or SocketException
                or TimeoutException
                || (e is DbException && ShardKitErrors.IsTransient(e)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The server's message when <paramref name="exception"/> (or an inner exception) is an access-denied error (MySQL error
    /// 1045, SQLSTATE 28000: a wrong user or password, which no retry fixes); otherwise null. A missing grant (1044, "Access denied
    /// for user ... to database ...") is not: the user and password are right, the account lacks a privilege.
    /// </summary>
    public static string? AuthenticationFailure(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // 1045 "Access denied for user 'u'@'h' (using password: YES)"; not 1044 "... to database 'd'", a missing grant.
            if (e is DbException db && (db.SqlState == "28000"
                || (db.Message.StartsWith("Access denied for user", StringComparison.OrdinalIgnoreCase) && db.Message.Contains("(using password:", StringComparison.OrdinalIgnoreCase))))
            {
                return db.Message;
            }
        }

        return null;
    }

    /// <summary>The message of <paramref name="exception"/> and its inner exceptions on one line.</summary>
    public static string OneLine(Exception exception)
    {
        var text = new StringBuilder(MessageOf(exception));
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            var message = MessageOf(inner);
            if (!text.ToString().Contains(message, StringComparison.Ordinal))
            {
                text.Append(' ').Append(message);
            }
        }

        return Flatten(text.ToString());
    }

    /// <summary>Replaces any <c>Password=...</c> (or <c>Pwd=</c>) value in <paramref name="text"/> with <c>***</c>.</summary>
    public static string Redact(string text) => PasswordPattern().Replace(text, "$1=***");

    private static string MessageOf(Exception exception) => exception switch
    {
        // "... (Parameter 'x')" says nothing to a DBA: the message names the option.
        ArgumentException { ParamName: { } name } argument when argument.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal) =>
            argument.Message[..^$" (Parameter '{name}')".Length],
        _ => exception.Message,
    };

    private static string Flatten(string text) => text.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\r', ' ').Replace('\n', ' ').Trim();

    /// <summary>Writes one error: a line on standard error, or with <paramref name="json"/> a JSON object on standard output.</summary>
    public static int Write(InvocationConfiguration configuration, bool json, int exitCode, string message, IReadOnlyList<string> problems) =>
        Write(configuration.Output, configuration.Error, json, exitCode, message, problems);

    /// <summary>Writes one error: a line on <paramref name="error"/>, or with <paramref name="json"/> a JSON object on <paramref name="output"/>.</summary>
    public static int Write(TextWriter output, TextWriter error, bool json, int exitCode, string message, IReadOnlyList<string> problems)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(
                new { Error = new ErrorBody(ExitCodes.Name(exitCode), exitCode, message, problems.Count > 0 ? problems : [message]) },
                s_json));
        }
        else
        {
            error.WriteLine("error: " + message);
        }

        return exitCode;
    }

    [GeneratedRegex(@"(?i)\b(password|pwd)\s*=\s*(""[^""]*""|'[^']*'|[^;""']*)")]
    private static partial Regex PasswordPattern();

    /// <summary>The JSON error: <c>{"error": {"code": "usage", "exitCode": 2, "message": "...", "problems": ["..."]}}</c>.</summary>
    private sealed record ErrorBody(string Code, int ExitCode, string Message, IReadOnlyList<string> Problems);
}

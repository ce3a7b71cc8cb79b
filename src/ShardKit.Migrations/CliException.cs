namespace ShardKit.Migrations;

/// <summary>
/// A command's error with its exit code: thrown by a command, reported by the one handler in <see cref="ShardKitCli"/> as
/// one line (<c>error: ...</c>) or, with <c>--json</c>, as a JSON object.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException()
        : this(ExitCodes.Failed, "the command failed.")
    {
    }

    public CliException(string message)
        : this(ExitCodes.Failed, message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
        ExitCode = ExitCodes.Failed;
        Problems = [];
    }

    /// <param name="exitCode">One of <see cref="ExitCodes"/>.</param>
    /// <param name="message">One line: what was wrong and, where it helps, what is allowed.</param>
    /// <param name="problems">Each thing that was wrong, when there are several (every error of a topology file).</param>
    public CliException(int exitCode, string message, IReadOnlyList<string>? problems = null)
        : base(message)
    {
        ExitCode = exitCode;
        Problems = problems ?? [];
    }

    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; }

    /// <summary>Each thing that was wrong (may be empty: the message says it).</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>A usage or input error (exit code 2).</summary>
    public static CliException Usage(string message, IReadOnlyList<string>? problems = null) => new(ExitCodes.Usage, message, problems);
}

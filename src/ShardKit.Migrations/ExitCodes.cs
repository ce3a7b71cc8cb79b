namespace ShardKit.Migrations;

/// <summary>The exit codes of every <c>shardkit</c> command (README, "Exit codes").</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>A check or an operation failed: differences remain, a shard was not switched, operations failed.</summary>
    public const int Failed = 1;

    /// <summary>Usage or input error: a parser error, a bad option value, a missing or invalid file, a wrong password.</summary>
    public const int Usage = 2;

    /// <summary>A server could not be reached; nothing more was done (a resumable command continues once it is back).</summary>
    public const int Unreachable = 3;

    /// <summary>Interrupted by Ctrl+C or SIGTERM; work stopped at a safe point.</summary>
    public const int Interrupted = 130;

    /// <summary>The stable name of an exit code in JSON errors.</summary>
    public static string Name(int exitCode) => exitCode switch
    {
        Ok => "ok",
        Failed => "failed",
        Usage => "usage",
        Unreachable => "unreachable",
        Interrupted => "interrupted",
        _ => "error",
    };
}

using System.Diagnostics;
using System.Text;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// The built <c>shardkit</c> CLI (ShardKit.Migrations.dll, copied beside the tests with its runtimeconfig) run as a child
/// process, as a DBA runs it: its output is captured, and <see cref="KillAsync"/> sends SIGKILL (no handler runs, nothing
/// is flushed: the same as <c>kill -9</c>).
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private CliProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
    }

    /// <summary>The arguments the process was started with (for logs).</summary>
    public string CommandLine { get; }

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
            {
                return _error.ToString();
            }
        }
    }

    /// <summary>The CLI's assembly in the test output directory (the test project references ShardKit.Migrations, which copies it with its runtimeconfig).</summary>
    public static string AssemblyPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "ShardKit.Migrations.dll");
            if (!File.Exists(path) || !File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
            {
                throw new InvalidOperationException($"The shardkit CLI is not built beside the tests ({path} with its runtimeconfig.json); build tests/ShardKit.IntegrationTests.");
            }

            return path;
        }
    }

    public static CliProcess Start(params string[] args)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        startInfo.ArgumentList.Add(AssemblyPath);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        // No colour or live redraws in captured output; no first-run work in the child.
        startInfo.Environment["NO_COLOR"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(startInfo) ?? throw new InvalidOperationException("dotnet could not be started.");
        var cli = new CliProcess(process, string.Join(' ', args.Where(a => !a.EndsWith(".json", StringComparison.Ordinal))));
        process.OutputDataReceived += (_, e) => cli.Append(cli._output, cli._outputClosed, e.Data);
        process.ErrorDataReceived += (_, e) => cli.Append(cli._error, cli._errorClosed, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Waits for the process to exit (and its output to be read); kills it and throws when it takes longer than <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`shardkit {CommandLine}` did not finish within {timeout.TotalSeconds:0} s. Output: {Output} Error: {Error}");
        }

        await Task.WhenAll(_outputClosed.Task, _errorClosed.Task).WaitAsync(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    /// <summary>Sends SIGKILL to the process (and any child) and waits until it is gone; false when it had already exited.</summary>
    public async Task<bool> KillAsync()
    {
        if (_process.HasExited)
        {
            return false;
        }

        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            return false;   // exited between the check and the kill
        }

        await _process.WaitForExitAsync();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private void Append(StringBuilder text, TaskCompletionSource closed, string? line)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (text)
        {
            text.AppendLine(line);
        }
    }
}

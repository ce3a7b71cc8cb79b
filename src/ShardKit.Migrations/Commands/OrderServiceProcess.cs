using System.Diagnostics;
using System.Globalization;

namespace ShardKit.Migrations.Commands;

/// <summary>
/// The OrderService sample run as its own process (<c>dotnet OrderService.dll</c>) for <c>shardkit demo</c>: the sample is
/// an ASP.NET Core application, so the tool only starts it and never loads it; every other command runs with the .NET
/// runtime alone.
/// </summary>
internal sealed class OrderServiceProcess : IAsyncDisposable
{
    /// <summary>The sample's assembly file name.</summary>
    public const string AssemblyFileName = "OrderService.dll";

    private const int LastLines = 20;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] s_configurations = ["Release", "Debug"];
    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private bool _disposed;

    private OrderServiceProcess(Process process) => _process = process;

    /// <summary>The address the service listens on.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>
    /// The sample to host: <paramref name="given"/> (<c>--service</c>), else the Release (then Debug) build of
    /// <c>samples/OrderService</c> in the repository around the current directory or the tool.
    /// </summary>
    /// <exception cref="CliException">A usage error: the given file does not exist, or no build of the sample is found.</exception>
    public static string Find(FileInfo? given)
    {
        if (given is not null)
        {
            return given.Exists
                ? given.FullName
                : throw CliException.Usage($"--service: '{given}' does not exist (build it with `dotnet build samples/OrderService -c Release`).");
        }

        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory }.Distinct())
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var bin = new DirectoryInfo(Path.Combine(directory.FullName, "samples", "OrderService", "bin"));
                if (!bin.Exists)
                {
                    continue;
                }

                var found = s_configurations
                    .Select(configuration => new DirectoryInfo(Path.Combine(bin.FullName, configuration)))
                    .Where(d => d.Exists)
                    .SelectMany(d => d.EnumerateFiles(AssemblyFileName, SearchOption.AllDirectories).OrderByDescending(f => f.LastWriteTimeUtc))
                    .FirstOrDefault();
                if (found is not null)
                {
                    return found.FullName;
                }
            }
        }

        throw CliException.Usage(
            "the demo hosts the OrderService sample, which is not part of the tool: run `./build.sh demo` in a clone of the ShardKit repository, " +
            "or build the sample (`dotnet build samples/OrderService -c Release`) and pass --service PATH/OrderService.dll.");
    }

    /// <summary>Starts the sample on a free loopback port with the topology file <paramref name="configPath"/> and waits until it listens.</summary>
    /// <exception cref="CliException">The service exited or did not listen within a minute (the message carries its last lines of output).</exception>
    public static async Task<OrderServiceProcess> StartAsync(string assemblyPath, string configPath, int workerId, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Path.GetDirectoryName(assemblyPath)!,   // its content root: appsettings.json
        };
        foreach (var arg in new[]
        {
            assemblyPath, "--config", configPath, "--urls", "http://127.0.0.1:0",
            "--ShardKit:OrderIds:WorkerId=" + workerId.ToString(CultureInfo.InvariantCulture),
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
            "--Telemetry:Exporter=none",
        })
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["DOTNET_ENVIRONMENT"] = "Production";
        startInfo.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        startInfo.Environment["NO_COLOR"] = "1";
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var service = new OrderServiceProcess(process);
        process.OutputDataReceived += (_, e) => service.OnLine(e.Data, listening);
        process.ErrorDataReceived += (_, e) => service.OnLine(e.Data, listening: null);
        process.Exited += (_, _) =>
        {
            process.WaitForExit();   // the rest of its output, for the message
            listening.TrySetException(new CliException(ExitCodes.Failed, service.ExitedMessage()));
        };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new CliException(ExitCodes.Failed, $"the OrderService sample could not be started with '{startInfo.FileName}': {ex.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            service.Url = await listening.Task.WaitAsync(s_startTimeout, cancellationToken);
            return service;
        }
        catch (Exception ex)
        {
            await service.DisposeAsync();
            if (ex is TimeoutException)
            {
                throw new CliException(ExitCodes.Failed, $"the OrderService sample did not listen within {s_startTimeout.TotalSeconds:0} s. {service.Tail()}");
            }

            throw;
        }
    }

    /// <summary>Stops the service (kills it: its state is all in the databases) and waits until it is gone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
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
            // Never started, or already gone.
        }

        _process.Dispose();
    }

    /// <summary>The dotnet host that runs this tool (so a private DOTNET_ROOT is honoured), else the one on the PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        foreach (var candidate in new[]
        {
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
            Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root ? Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet") : null,
        })
        {
            if (candidate is { Length: > 0 } && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "dotnet";
    }

    private void OnLine(string? line, TaskCompletionSource<Uri>? listening)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(line);
            if (_lines.Count > LastLines)
            {
                _lines.Dequeue();
            }
        }

        const string Marker = "Now listening on: ";
        var at = line.IndexOf(Marker, StringComparison.Ordinal);
        if (listening is not null && at >= 0 && Uri.TryCreate(line[(at + Marker.Length)..].Trim(), UriKind.Absolute, out var url))
        {
            listening.TrySetResult(url);
        }
    }

    private string ExitedMessage()
    {
        var code = _process.ExitCode;

        // 150: the host found no ASP.NET Core runtime (Microsoft.AspNetCore.App), which only the sample needs.
        var hint = code == 150 ? " The sample needs the ASP.NET Core runtime (Microsoft.AspNetCore.App); the rest of shardkit does not." : "";
        return $"the OrderService sample exited with code {code} before it listened.{hint} {Tail()}";
    }

    private string Tail()
    {
        lock (_lines)
        {
            return _lines.Count == 0 ? "It printed nothing." : "Its last output: " + string.Join(" | ", _lines.Select(l => l.Trim()).Where(l => l.Length > 0));
        }
    }
}

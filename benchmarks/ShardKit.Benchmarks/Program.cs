using BenchmarkDotNet.Running;
using ShardKit.Benchmarks.Load;

// `load [--seconds S] [--workers 1,4,16] [--json]` runs the driver-vs-sysbench load tool;
// anything else goes to BenchmarkDotNet (e.g. `--filter *PointSelect*`, `--job short`).
if (args.Length > 0 && args[0] == "load")
{
    return await LoadCommand.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

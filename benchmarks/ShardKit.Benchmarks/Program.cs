using BenchmarkDotNet.Running;

// Everything goes to BenchmarkDotNet (e.g. `--filter *EndToEnd*`, `--job short`).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

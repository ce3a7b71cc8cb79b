using BenchmarkDotNet.Running;
using ShardKit.Benchmarks;

// `paired ...` alternates each class's baseline and methods in short blocks (a shared machine's check); everything
// else goes to BenchmarkDotNet (e.g. `--filter *EndToEnd*`, `--job short`).
if (args is ["paired", ..])
{
    return await PairedRunner.RunAsync(args[1..]);
}

// `relay-leases` measures a fleet of relays (idle statements per second, catch-up with one relay killed) in one run.
if (args is ["relay-leases", ..])
{
    return await ShardKit.Benchmarks.Orders.RelayLeaseLoad.RunAsync(args[1..]);
}

// `relay-process` is one relay of `relay-leases` in a process of its own (started and killed by it).
if (args is ["relay-process", _, _, _])
{
    return await ShardKit.Benchmarks.Orders.RelayLeaseLoad.RunRelayProcessAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

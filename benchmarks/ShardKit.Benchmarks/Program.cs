using BenchmarkDotNet.Running;
using ShardKit.Benchmarks;

// `paired ...` alternates each class's baseline and methods in short blocks (a shared machine's check); everything
// else goes to BenchmarkDotNet (e.g. `--filter *EndToEnd*`, `--job short`).
if (args is ["paired", ..])
{
    return await Run(() => PairedRunner.RunAsync(args[1..]));
}

// `relay-leases` measures a fleet of relays (idle statements per second, catch-up with one relay killed) in one run.
if (args is ["relay-leases", ..])
{
    return await Run(() => ShardKit.Benchmarks.Orders.RelayLeaseLoad.RunAsync(args[1..]));
}

// `relay-process` is one relay of `relay-leases` in a process of its own (started and killed by it).
if (args is ["relay-process", _, _, _])
{
    return await Run(() => ShardKit.Benchmarks.Orders.RelayLeaseLoad.RunRelayProcessAsync(args[1..]));
}

// `migration` measures the migration engines (legacy import backfill, shard moves) against mariadb-dump | mariadb in one run.
if (args is ["migration", ..])
{
    return await Run(() => ShardKit.Benchmarks.Migrations.MigrationLoad.RunAsync(args[1..]));
}

// The assembly by a type of its own: `Program` is also the name of the shardkit tool's entry type, which this project references.
BenchmarkSwitcher.FromAssembly(typeof(PairedRunner).Assembly).Run(args);
return 0;

// A measured program that fails says what failed in one line (exit 1), never with a stack trace.
static async Task<int> Run(Func<Task<int>> program)
{
    try
    {
        return await program();
    }
    catch (Exception ex) when (ex is not OutOfMemoryException)
    {
        var inner = ex.GetBaseException();
        await Console.Error.WriteLineAsync($"failed: {ex.GetType().Name}: {ex.Message}" + (ReferenceEquals(inner, ex) ? "" : $" ({inner.GetType().Name}: {inner.Message})"));
        return 1;
    }
}

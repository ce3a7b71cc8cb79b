using System.Diagnostics;
using System.Globalization;
using Dapper;
using MySqlConnector;
using ShardKit.Testing;

namespace ShardKit.Benchmarks.Orders;

/// <summary>
/// <c>relay-leases</c>: what shard leases change for a fleet of relays, measured in one run on one topology (two
/// clusters of one primary, 120 user and 120 merchant shards, each dimension split over both clusters).
/// <list type="number">
/// <item>Idle cost: the database statements per second (<c>Questions</c>, and <c>Com_select</c>, summed over both
/// servers, over a window once the relays have settled) of 1 and 10 idle relays with leases, and of 1 and 10 without.</item>
/// <item>Catch-up: the time 4 relays (leases on, default options) take to drain a backlog that becomes due at once,
/// and the same when one of them is killed right after its first applies: in this process (stopped without releasing
/// its leases), then with each relay in a process of its own (<c>relay-process</c>) and the victim killed with SIGKILL.
/// After each run the merchant dimension is verified against the user dimension.</item>
/// </list>
/// Not a BenchmarkDotNet class: the figures are rates and durations of a whole fleet, printed with their ratios.
/// </summary>
internal static class RelayLeaseLoad
{
    private const int Shards = 120;

    public static async Task<int> RunAsync(string[] args)
    {
        var window = TimeSpan.FromSeconds(double.Parse(Option(args, "--window-s") ?? "20", CultureInfo.InvariantCulture));
        var backlog = int.Parse(Option(args, "--backlog") ?? "6000", CultureInfo.InvariantCulture);
        Console.WriteLine($"loadavg before: {await File.ReadAllTextAsync("/proc/loadavg")}".TrimEnd());
        Console.WriteLine($"started {DateTime.UtcNow:u}; window {window.TotalSeconds} s; backlog {backlog} orders");

        await using var topology = await MariaDbTopology.StartAsync(new MariaDbTopologyOptions { Clusters = 2, Replicas = 0, Tls = false });
        var servers = topology.Clusters.Select(c => c.Primary.ConnectionString + ";SslMode=None").ToList();
        await using var shards = new ShardKitDataSourceBuilder(Options(servers)).Build();
        using var store = new TwoDimensionOrderStore(shards, new TwoDimensionOrderStoreOptions { ApplyMerchantCopyImmediately = false });
        var schema = Stopwatch.StartNew();
        await store.EnsureSchemaAsync();
        Console.WriteLine($"schema applied to {2 * Shards} shards in {schema.Elapsed.TotalSeconds:F1} s");

        Console.WriteLine();
        Console.WriteLine("## Idle relays");
        Console.WriteLine();
        Console.WriteLine("| Relays | Leases | Settled in | Shards polled (sum over relays) | Questions/s | Com_select/s | Questions/s per relay |");
        Console.WriteLine("|--:|---|--:|--:|--:|--:|--:|");
        var idle = new Dictionary<(int, bool), double>();
        foreach (var (count, leases) in new[] { (1, true), (10, true), (1, false), (10, false) })
        {
            idle[(count, leases)] = await MeasureIdleAsync(store, servers, count, leases, window);
        }

        Console.WriteLine();
        Console.WriteLine($"10 relays / 1 relay, with leases: {idle[(10, true)] / idle[(1, true)]:F2}x; without leases: {idle[(10, false)] / idle[(1, false)]:F2}x; " +
            $"10 relays without / with leases: {idle[(10, false)] / idle[(10, true)]:F2}x");

        Console.WriteLine();
        Console.WriteLine("## Catch-up of a backlog, 4 relays");
        Console.WriteLine();
        Console.WriteLine("| Run | Backlog entries | Drained in | Entries/s | Left on the killed relay's shards at the kill | Verified differences |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|");
        var ids = new OrderIdGenerator(new OrderIdGeneratorOptions { WorkerId = 9, ShardCount = Shards });
        var random = new Random(11);
        var all = await CatchUpAsync(shards, store, ids, random, backlog, kill: false);
        var killed = await CatchUpAsync(shards, store, ids, random, backlog, kill: true);
        var processes = await CatchUpInProcessesAsync(shards, store, servers, ids, random, backlog, kill: false);
        var sigkill = await CatchUpInProcessesAsync(shards, store, servers, ids, random, backlog, kill: true);
        Console.WriteLine();
        Console.WriteLine($"catch-up with one of 4 relays killed / all 4 live: in one process {killed.TotalSeconds / all.TotalSeconds:F2}x, " +
            $"in 4 processes (SIGKILL) {sigkill.TotalSeconds / processes.TotalSeconds:F2}x " +
            $"(the killed relay's shards wait for its leases to lapse: LeaseDuration {new ShardLeaseOptions().LeaseDuration.TotalSeconds} s, renewals every {new ShardLeaseOptions().RenewInterval.TotalSeconds} s)");
        Console.WriteLine();
        Console.WriteLine($"loadavg after: {await File.ReadAllTextAsync("/proc/loadavg")}".TrimEnd());
        return 0;
    }

    /// <summary><c>relay-process server0 server1 name</c>: one relay (leases on, default options) in a process of its own, until its input closes.</summary>
    public static async Task<int> RunRelayProcessAsync(string[] args)
    {
        await using var shards = new ShardKitDataSourceBuilder(Options([args[0], args[1]])).Build();
        using var store = new TwoDimensionOrderStore(shards);
        using var relay = new OutboxRelay(store, new OutboxRelayOptions { Leases = { HolderName = args[2] } });
        await relay.StartAsync(CancellationToken.None);
        await Console.In.ReadToEndAsync();
        await relay.StopAsync(CancellationToken.None);
        return 0;
    }

    private static ShardKitOptions Options(IReadOnlyList<string> servers)
    {
        var options = new ShardKitOptions();
        for (var c = 0; c < 2; c++)
        {
            options.Clusters.Add(new ShardClusterOptions { Name = $"c{c}", Primary = servers[c] });
        }

        options.Dimensions.User.ShardCount = Shards;
        options.Dimensions.User.Placement = [new ShardPlacementOptions { Shards = "0-59", Cluster = "c0" }, new ShardPlacementOptions { Shards = "60-119", Cluster = "c1" }];
        options.Dimensions.Merchant.ShardCount = Shards;
        options.Dimensions.Merchant.Placement = [new ShardPlacementOptions { Shards = "0-59", Cluster = "c1" }, new ShardPlacementOptions { Shards = "60-119", Cluster = "c0" }];
        return options;
    }

    private static async Task<double> MeasureIdleAsync(TwoDimensionOrderStore store, List<string> servers, int count, bool leases, TimeSpan window)
    {
        var relays = Enumerable.Range(0, count)
            .Select(i => new OutboxRelay(store, new OutboxRelayOptions { Leases = { Enabled = leases, HolderName = $"idle-{count}-{i}" } }))
            .ToList();
        var settle = Stopwatch.StartNew();
        foreach (var relay in relays)
        {
            await relay.StartAsync(CancellationToken.None);
        }

        try
        {
            if (leases)
            {
                await WaitUntilAsync(() => Settled(relays), TimeSpan.FromMinutes(2));
            }

            var settled = settle.Elapsed;
            await Task.Delay(TimeSpan.FromSeconds(3)); // past the passes that were running when the relays settled
            var before = await StatusAsync(servers);
            var clock = Stopwatch.StartNew();
            await Task.Delay(window);
            var after = await StatusAsync(servers);
            var seconds = clock.Elapsed.TotalSeconds;

            // Each status read is one question on each server: subtract the reads themselves.
            var questions = (after.Questions - before.Questions - servers.Count) / seconds;
            var selects = (after.Selects - before.Selects) / seconds;
            var polled = relays.Sum(r => r.HeldShards.Count);
            Console.WriteLine($"| {count} | {(leases ? "on" : "off")} | {(leases ? $"{settled.TotalSeconds:F1} s" : "-")} | {polled} | {questions:F0} | {selects:F0} | {questions / count:F0} |");
            return questions;
        }
        finally
        {
            foreach (var relay in relays)
            {
                await relay.StopAsync(CancellationToken.None);
                relay.Dispose();
            }
        }
    }

    private static async Task<TimeSpan> CatchUpAsync(ShardKitDataSource shards, TwoDimensionOrderStore store, OrderIdGenerator ids, Random random, int backlog, bool kill)
    {
        var entries = await CreateBacklogAsync(shards, store, ids, random, backlog);
        var relays = Enumerable.Range(0, 4)
            .Select(i => new OutboxRelay(store, new OutboxRelayOptions { Leases = { HolderName = $"catch-up-{(kill ? "kill" : "all")}-{i}" } }))
            .ToList();
        foreach (var relay in relays)
        {
            await relay.StartAsync(CancellationToken.None);
        }

        try
        {
            await WaitUntilAsync(() => Settled(relays), TimeSpan.FromMinutes(2));
            var victim = relays[0];
            var victimShards = victim.HeldShards.ToHashSet();
            var clock = Stopwatch.StartNew();
            await MakeDueAsync(shards);
            var leftAtKill = "-";
            if (kill)
            {
                await WaitUntilAsync(() => victim.AppliedEntries > 0, TimeSpan.FromMinutes(2));
                victim.Leases!.ReleaseOnStop = false;
                await victim.StopAsync(CancellationToken.None);
                leftAtKill = (await PendingAsync(shards, victimShards)).ToString(CultureInfo.InvariantCulture);
            }

            return await FinishAsync(shards, clock, kill ? "4 relays in one process, one killed mid-drain (stopped, leases kept)" : "4 relays in one process", entries, leftAtKill);
        }
        finally
        {
            foreach (var relay in relays)
            {
                await relay.StopAsync(CancellationToken.None);
                relay.Dispose();
            }

            await relays[0].Leases!.ReleaseAllAsync();
        }
    }

    /// <summary>The same with each relay in a process of its own (<c>relay-process</c>), the victim killed with SIGKILL.</summary>
    private static async Task<TimeSpan> CatchUpInProcessesAsync(ShardKitDataSource shards, TwoDimensionOrderStore store, List<string> servers, OrderIdGenerator ids, Random random, int backlog, bool kill)
    {
        var entries = await CreateBacklogAsync(shards, store, ids, random, backlog);
        var prefix = $"proc-{(kill ? "kill" : "all")}-";
        var processes = Enumerable.Range(0, 4).Select(i => StartRelayProcess(servers, $"{prefix}{i}")).ToList();
        try
        {
            var holders = await WaitForProcessesAsync(servers, prefix);
            var victim = holders.Keys.Order(StringComparer.Ordinal).First();
            var victimShards = holders[victim];
            var victimProcess = processes[int.Parse(victim[prefix.Length..victim.IndexOf('/', StringComparison.Ordinal)], CultureInfo.InvariantCulture)];
            var clock = Stopwatch.StartNew();
            await MakeDueAsync(shards);
            var leftAtKill = "-";
            if (kill)
            {
                var before = await PendingAsync(shards, victimShards);
                await WaitUntilAsync(() => PendingAsync(shards, victimShards).GetAwaiter().GetResult() < before, TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(20));
                victimProcess.Kill();
                await victimProcess.WaitForExitAsync();
                leftAtKill = (await PendingAsync(shards, victimShards)).ToString(CultureInfo.InvariantCulture);
            }

            return await FinishAsync(shards, clock, kill ? "4 relay processes, one killed with SIGKILL mid-drain" : "4 relay processes", entries, leftAtKill);
        }
        finally
        {
            foreach (var process in processes.Where(p => !p.HasExited))
            {
                process.StandardInput.Close();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                }
            }

            foreach (var process in processes)
            {
                process.Dispose();
            }
        }
    }

    private static Process StartRelayProcess(List<string> servers, string name)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            info.ArgumentList.Add(typeof(RelayLeaseLoad).Assembly.Location);
        }

        foreach (var arg in new[] { "relay-process", servers[0], servers[1], name })
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    /// <summary>Waits until four holders named <paramref name="prefix"/>* share the 120 shards evenly; returns each one's shards.</summary>
    private static async Task<Dictionary<string, HashSet<int>>> WaitForProcessesAsync(List<string> servers, string prefix)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var held = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
            foreach (var server in servers)
            {
                await using var connection = new MySqlConnection(server);
                await connection.OpenAsync();
                foreach (var (shard, holder) in await connection.QueryAsync<(int, string)>(
                    "SELECT shard, holder FROM shardkit.shardkit_leases WHERE kind = 'outbox' AND holder LIKE @Prefix AND expires_at > UTC_TIMESTAMP(6)",
                    new { Prefix = prefix + "%" }))
                {
                    (held.TryGetValue(holder, out var set) ? set : held[holder] = []).Add(shard);
                }
            }

            if (held.Count == 4 && held.Values.Sum(h => h.Count) == Shards && held.Values.Max(h => h.Count) - held.Values.Min(h => h.Count) <= 2)
            {
                return held;
            }

            if (clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException("The relay processes did not settle on their shares within 3 minutes.");
            }

            await Task.Delay(200);
        }
    }

    private static async Task<TimeSpan> FinishAsync(ShardKitDataSource shards, Stopwatch clock, string run, long entries, string leftAtKill)
    {
        await WaitUntilAsync(() => PendingAsync(shards).GetAwaiter().GetResult() == 0, TimeSpan.FromMinutes(10), TimeSpan.FromMilliseconds(200));
        var elapsed = clock.Elapsed;
        var verified = await new DimensionVerifier(shards).VerifyAsync(repair: false);
        var differences = verified.Differences.Count + verified.Shards.Count(s => s.Error is not null);
        Console.WriteLine($"| {run} | {entries} | {elapsed.TotalSeconds:F2} s | {entries / elapsed.TotalSeconds:F0} | {leftAtKill} | {differences} |");
        return elapsed;
    }

    private static Task MakeDueAsync(ShardKitDataSource shards) => ForEachShardAsync(shards, conn => conn.Connection.ExecuteAsync(conn.Sql(
        "UPDATE {schema}.shardkit_outbox SET next_attempt_at = '2000-01-01 00:00:00' WHERE applied_at IS NULL")));

    /// <summary>
    /// The backlog: orders written without their merchant copies, a quarter updated once, held back (due in an hour)
    /// until the relays have settled; returns the pending entries.
    /// </summary>
    private static async Task<long> CreateBacklogAsync(ShardKitDataSource shards, TwoDimensionOrderStore store, OrderIdGenerator ids, Random random, int backlog)
    {
        var batch = Enumerable.Range(0, backlog).Select(_ => OrderBenchmarkTopology.NewOrder(ids, random)).ToList();
        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (order, ct) =>
        {
            var created = await store.CreateAsync(order, ct);
            if (created.Id.Value % 4 == 0)
            {
                await store.UpdateAsync(new OrderRecord
                {
                    Id = created.Id, UserId = created.UserId, MerchantId = created.MerchantId, Status = "paid",
                    TotalAmount = created.TotalAmount, Currency = created.Currency, Items = created.Items,
                }, ct);
            }
        });
        await ForEachShardAsync(shards, conn => conn.Connection.ExecuteAsync(conn.Sql(
            "UPDATE {schema}.shardkit_outbox SET next_attempt_at = UTC_TIMESTAMP(6) + INTERVAL 1 HOUR WHERE applied_at IS NULL")));
        return await PendingAsync(shards);
    }

    private static bool Settled(List<OutboxRelay> relays)
    {
        var held = relays.Where(r => r.Leases?.ReleaseOnStop != false).Select(r => r.HeldShards).ToList();
        return held.Sum(h => h.Count) == Shards && held.SelectMany(h => h).Distinct().Count() == Shards && held.Max(h => h.Count) - held.Min(h => h.Count) <= 2;
    }

    private static async Task<long> PendingAsync(ShardKitDataSource shards, IReadOnlySet<int>? only = null)
    {
        long pending = 0;
        foreach (var route in shards.Map.GetRoutes(ShardDimension.User).Where(r => only is null || only.Contains(r.Shard)))
        {
            await using var shard = await shards.OpenAsync(route, ShardIntent.Write);
            pending += await shard.Connection.ExecuteScalarAsync<long>(shard.Sql("SELECT COUNT(*) FROM {schema}.shardkit_outbox WHERE applied_at IS NULL"));
        }

        return pending;
    }

    private static async Task ForEachShardAsync(ShardKitDataSource shards, Func<ShardConnection, Task> action)
    {
        foreach (var route in shards.Map.GetRoutes(ShardDimension.User))
        {
            await using var shard = await shards.OpenAsync(route, ShardIntent.Write);
            await action(shard);
        }
    }

    private static async Task<(long Questions, long Selects)> StatusAsync(List<string> servers)
    {
        long questions = 0;
        long selects = 0;
        foreach (var server in servers)
        {
            await using var connection = new MySqlConnection(server);
            await connection.OpenAsync();
            var status = (await connection.QueryAsync<(string Name, string Value)>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select')"))
                .ToDictionary(r => r.Name, r => long.Parse(r.Value, CultureInfo.InvariantCulture), StringComparer.OrdinalIgnoreCase);
            questions += status["Questions"];
            selects += status["Com_select"];
        }

        return (questions, selects);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? every = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"The condition did not hold within {timeout}.");
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(50));
        }
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}

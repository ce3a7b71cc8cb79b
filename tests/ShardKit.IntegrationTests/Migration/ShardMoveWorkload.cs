using System.Collections.Concurrent;
using Dapper;
using ShardKit.IntegrationTests.Orders;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// Random writers on one user shard while it moves: half write the raw-SQL table <c>notes</c> through
/// <see cref="ShardKitDataSource.WriteAsync{T}"/>, half write orders through <see cref="TwoDimensionOrderStore"/>. Each writer owns
/// its keys, so the acknowledged history says exactly what the shard must hold at the end (a version, or nothing after a delete).
/// </summary>
internal sealed class ShardMoveWorkload
{
    private readonly ShardMoveTopology _topology;
    private readonly int _shard;
    private readonly List<long> _users;
    private int _runs;

    public ShardMoveWorkload(ShardMoveTopology topology, int shard)
    {
        _topology = topology;
        _shard = shard;
        _users = ShardMoveTopology.UsersOf(shard, 20);
    }

    /// <summary>note_id → version (null: deleted), as acknowledged to the writer.</summary>
    public ConcurrentDictionary<long, int?> Notes { get; } = new();

    /// <summary>order ID → version (null: deleted), as acknowledged to the writer.</summary>
    public ConcurrentDictionary<long, long?> Orders { get; } = new();

    public ConcurrentQueue<string> Errors { get; } = new();

    // The notes inserted by the workload (with an amount and a span).
    private readonly ConcurrentDictionary<long, bool> _valued = new();

    public int Writes;

    public async Task SeedAsync(int notes, int orders)
    {
        for (var id = 0; id < notes; id++)
        {
            await InsertNoteAsync(id, new Random(id));
        }

        var factory = new OrderFactory(workerId: 90, ShardMoveTopology.ShardCount);
        using var store = new TwoDimensionOrderStore(_topology.App);
        for (var i = 0; i < orders; i++)
        {
            var order = await store.CreateAsync(factory.New(_users[i % _users.Count], 1 + (i % 7)));
            Orders[order.Id.Value] = order.Version;
        }
    }

    /// <summary>Runs <paramref name="writers"/> random writers until <paramref name="stop"/>; a later run inserts notes under new IDs.</summary>
    public Task RunAsync(int writers, CancellationToken stop)
    {
        var run = Interlocked.Increment(ref _runs) - 1;
        return Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => w % 2 == 0 ? NoteWriterAsync(w, writers, run, stop) : OrderWriterAsync(w, stop))));
    }

    private async Task NoteWriterAsync(int writer, int writers, int run, CancellationToken stop)
    {
        var random = new Random(1000 + writer + (100 * run));
        var mine = Notes.Keys.Where(k => k % writers == writer).ToList();
        var next = 100_000 + (1_000_000 * run) + writer;
        while (!stop.IsCancellationRequested)
        {
            var op = random.Next(3);
            var live = mine.Where(k => Notes[k] is not null).ToList();
            try
            {
                if (op == 0 || live.Count == 0)
                {
                    await InsertNoteAsync(next, random);
                    mine.Add(next);
                    next += writers;
                }
                else if (op == 1)
                {
                    var id = live[random.Next(live.Count)];
                    await _topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, _shard), (shard, ct) => shard.Connection.ExecuteAsync(new CommandDefinition(
                        shard.Sql("UPDATE {schema}.`notes` SET version = version + 1, body = @Body WHERE note_id = @Id"), new { Id = id, Body = $"u{random.Next()}" }, cancellationToken: ct)), CancellationToken.None);
                    Notes[id] = Notes[id] + 1;
                }
                else
                {
                    var id = live[random.Next(live.Count)];
                    await _topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, _shard), (shard, ct) => shard.Connection.ExecuteAsync(new CommandDefinition(
                        shard.Sql("DELETE FROM {schema}.`notes` WHERE note_id = @Id"), new { Id = id }, cancellationToken: ct)), CancellationToken.None);
                    Notes[id] = null;
                }

                Interlocked.Increment(ref Writes);
                await Task.Delay(random.Next(1, 5), CancellationToken.None);
            }
            catch (Exception ex)
            {
                Errors.Enqueue($"note writer {writer}: {ex.GetType().Name}: {ex.Message}");
                return;
            }
        }
    }

    private async Task OrderWriterAsync(int writer, CancellationToken stop)
    {
        var random = new Random(2000 + writer);
        var factory = new OrderFactory(workerId: 100 + writer, ShardMoveTopology.ShardCount);
        using var store = new TwoDimensionOrderStore(_topology.App);
        var mine = new List<OrderRecord>();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var op = random.Next(3);
                if (op == 0 || mine.Count == 0)
                {
                    var order = await store.CreateAsync(factory.New(_users[random.Next(_users.Count)], 1 + random.Next(7)), CancellationToken.None);
                    mine.Add(order);
                    Orders[order.Id.Value] = order.Version;
                }
                else if (op == 1)
                {
                    var i = random.Next(mine.Count);
                    var updated = await store.UpdateAsync(OrderFactory.Changed(mine[i], $"s{random.Next(100)}", 1 + random.Next(3)), CancellationToken.None);
                    mine[i] = updated!;
                    Orders[updated!.Id.Value] = updated.Version;
                }
                else
                {
                    var i = random.Next(mine.Count);
                    Assert.True(await store.DeleteAsync(mine[i].Id, CancellationToken.None));
                    Orders[mine[i].Id.Value] = null;
                    mine.RemoveAt(i);
                }

                Interlocked.Increment(ref Writes);
                await Task.Delay(random.Next(1, 5), CancellationToken.None);
            }
            catch (Exception ex)
            {
                Errors.Enqueue($"order writer {writer}: {ex.GetType().Name}: {ex.Message}");
                return;
            }
        }
    }

    private async Task InsertNoteAsync(long id, Random random)
    {
        var userId = _users[random.Next(_users.Count)];
        await _topology.App.WriteAsync(m => m.GetRoute(ShardDimension.User, _shard), (shard, ct) => shard.Connection.ExecuteAsync(new CommandDefinition(
            shard.Sql("INSERT INTO {schema}.`notes` (note_id, user_id, body, version, amount, span) VALUES (@Id, @UserId, @Body, 1, @Amount, @Span)"),
            new { Id = id, UserId = userId, Body = $"n{id}", Amount = AmountOf(id), Span = SpanOf(id) }, cancellationToken: ct)));
        Notes[id] = 1;
        _valued[id] = true;
    }

    /// <summary>A note's amount: a DECIMAL wider than .NET's decimal holds (46 integer digits), as the server prints it.</summary>
    private static string AmountOf(long id) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{id + 1}{new string('9', 40)}.0123456789");

    /// <summary>A note's span: a TIME below zero and past 24 hours (up to 833), to the microsecond.</summary>
    private static TimeSpan SpanOf(long id) => TimeSpan.FromTicks(-(id * 7_919_000_000L % 30_000_000_000_000L) - 10);

    /// <summary>Compares the acknowledged history with the shard on <paramref name="cluster"/>: lost, resurrected, different and extra rows.</summary>
    public async Task<List<string>> CheckAsync(string cluster, string schema)
    {
        var problems = new List<string>();
        var connection = await _topology.OpenClusterAsync(cluster);
        await using (connection)
        {
            var notes = (await connection.QueryAsync<(long Id, int Version)>($"SELECT note_id, version FROM `{schema}`.`notes`")).ToDictionary(n => n.Id, n => n.Version);
            foreach (var (id, amount, span) in await connection.QueryAsync<(long Id, string? Amount, TimeSpan? Span)>($"SELECT note_id, CAST(amount AS CHAR), span FROM `{schema}`.`notes`"))
            {
                // Notes the workload inserted carry an amount and a span; a test's own plain-SQL insert has neither.
                if (_valued.ContainsKey(id) ? amount != AmountOf(id) || span != SpanOf(id) : amount is not null || span is not null)
                {
                    problems.Add($"note {id} holds amount {amount} and span {span}, not {AmountOf(id)} and {SpanOf(id)}");
                }
            }

            var orders = (await connection.QueryAsync<(long Id, long Version)>($"SELECT order_id, version FROM `{schema}`.`orders`")).ToDictionary(n => n.Id, n => n.Version);
            Compare("note", Notes.ToDictionary(p => p.Key, p => (long?)p.Value), notes.ToDictionary(p => p.Key, p => (long)p.Value), problems);
            Compare("order", Orders.ToDictionary(p => p.Key, p => p.Value), orders, problems);
        }

        return problems;
    }

    private static void Compare(string kind, Dictionary<long, long?> expected, Dictionary<long, long> actual, List<string> problems)
    {
        foreach (var (id, version) in expected)
        {
            var found = actual.TryGetValue(id, out var v);
            if (version is null && found)
            {
                problems.Add($"{kind} {id} resurrected (v{v})");
            }
            else if (version is not null && !found)
            {
                problems.Add($"{kind} {id} lost (v{version})");
            }
            else if (version is not null && v != version)
            {
                problems.Add($"{kind} {id} is v{v}, acknowledged v{version}");
            }
        }

        problems.AddRange(actual.Keys.Where(id => !expected.ContainsKey(id)).Select(id => $"{kind} {id} was never written"));
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using ShardKit.Migrations.Workload;

namespace ShardKit.Migrations.Migration;

/// <summary>
/// Application traffic during a migration: writers that create, update, delete and read orders through a
/// <see cref="MigratingOrderStore"/> (new orders and legacy orders found by their legacy IDs), each writer owning its
/// orders so that the last acknowledged state of every order is known. Records that state, every error that reached the
/// application, and every read that returned an older version than the writer had already been told.
/// </summary>
internal sealed class MigrationWorkload
{
    private readonly MigratingOrderStore _store;
    private readonly OrderIdGenerator _ids;
    private readonly int _users;
    private readonly int _merchants;
    private readonly long _legacyOrders;
    private long _operations;
    private long _errors;
    private long _staleReads;

    public MigrationWorkload(MigratingOrderStore store, OrderIdGenerator ids, int users, int merchants, long legacyOrders)
    {
        _store = store;
        _ids = ids;
        _users = users;
        _merchants = merchants;
        _legacyOrders = legacyOrders;
    }

    /// <summary>The last acknowledged state of every order the workload wrote: the order, or null when deleted.</summary>
    public ConcurrentDictionary<OrderId, OrderRecord?> Expected { get; } = new();

    /// <summary>The legacy IDs the workload touched, with the ShardKit ID they resolved to.</summary>
    public ConcurrentDictionary<long, OrderId> LegacyIds { get; } = new();

    /// <summary>Errors that reached the application (not retried away by the store).</summary>
    public ConcurrentQueue<string> ErrorSamples { get; } = new();

    public long Operations => Interlocked.Read(ref _operations);

    public long Errors => Interlocked.Read(ref _errors);

    public long StaleReads => Interlocked.Read(ref _staleReads);

    /// <summary>Runs <paramref name="writers"/> writers until <paramref name="cancellationToken"/> is cancelled; each op then waits <paramref name="thinkTime"/>.</summary>
    public Task RunAsync(int writers, TimeSpan thinkTime, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => WriterAsync(w, writers, thinkTime, cancellationToken), CancellationToken.None)));

    private async Task WriterAsync(int writer, int writers, TimeSpan thinkTime, CancellationToken cancellationToken)
    {
        var random = new Random(writer * 7919);
        var mine = new List<OrderId>();
        var known = new Dictionary<OrderId, long>();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var roll = random.NextDouble();
                if (mine.Count < 5 || roll < 0.3)
                {
                    var userId = random.Next(1, _users + 1);
                    var merchantId = random.Next(1, _merchants + 1);
                    var created = await _store.CreateAsync(NewOrder(_ids.Next(userId, merchantId), userId, merchantId, "created", random.Next(1, 4)), CancellationToken.None);
                    Expected[created.Id] = created;
                    known[created.Id] = created.Version;
                    mine.Add(created.Id);
                }
                else if (roll < 0.45 && _legacyOrders > 0)
                {
                    // A legacy order of this writer's share, found by its legacy ID.
                    var legacyId = (random.NextInt64(0, _legacyOrders / writers) * writers) + writer + 1;
                    if (legacyId <= _legacyOrders && !LegacyIds.ContainsKey(legacyId))
                    {
                        var found = await _store.FindByLegacyIdAsync(legacyId, CancellationToken.None);
                        if (found is not null)
                        {
                            LegacyIds[legacyId] = found.Id;
                            mine.Add(found.Id);
                            known[found.Id] = found.Version;
                            Expected[found.Id] = found;
                        }
                    }
                }
                else if (roll < 0.8)
                {
                    var id = mine[random.Next(mine.Count)];
                    if (Expected.TryGetValue(id, out var current) && current is not null)
                    {
                        var updated = await _store.UpdateAsync(Changed(current, random.Next(1, 4)), CancellationToken.None);
                        if (updated is null)
                        {
                            Fail($"update of {id} found no order");
                        }
                        else
                        {
                            Expected[id] = updated;
                            known[id] = updated.Version;
                        }
                    }
                }
                else if (roll < 0.88)
                {
                    var id = mine[random.Next(mine.Count)];
                    if (Expected.TryGetValue(id, out var current) && current is not null && await _store.DeleteAsync(id, CancellationToken.None))
                    {
                        Expected[id] = null;
                    }
                }
                else
                {
                    var id = mine[random.Next(mine.Count)];
                    var read = await _store.GetAsync(id, CancellationToken.None);
                    if (read is not null && known.TryGetValue(id, out var version) && read.Version < version)
                    {
                        Interlocked.Increment(ref _staleReads);
                    }
                }

                Interlocked.Increment(ref _operations);
            }
            catch (Exception ex) when (ex is ShardKitException or System.Data.Common.DbException or ArgumentException or InvalidOperationException)
            {
                Fail(ex.GetType().Name + ": " + ex.Message);
            }

            if (thinkTime > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(thinkTime, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Fail(string message)
    {
        Interlocked.Increment(ref _errors);
        if (ErrorSamples.Count < 20)
        {
            ErrorSamples.Enqueue(message);
        }
    }

    public static OrderRecord NewOrder(OrderId id, long userId, long merchantId, string status, int items) => new()
    {
        Id = id,
        UserId = userId,
        MerchantId = merchantId,
        Status = status,
        TotalAmount = 4.25m * items,
        Currency = "EUR",
        Ext = """{"channel":"app"}""",
        Items = Enumerable.Range(1, items).Select(i => new OrderLine { LineNo = i, Sku = $"NEW-{i}", Quantity = i, UnitPrice = 4.25m }).ToList(),
    };

    public static OrderRecord Changed(OrderRecord order, int items) => new()
    {
        Id = order.Id,
        UserId = order.UserId,
        MerchantId = order.MerchantId,
        Status = order.Status == "paid" ? "shipped" : "paid",
        TotalAmount = 2.5m * items,
        Currency = order.Currency,
        Ext = items % 2 == 0 ? null : $$"""{"n":{{items}}}""",
        Items = Enumerable.Range(1, items).Select(i => new OrderLine { LineNo = i, Sku = $"UPD-{i}", Quantity = items, UnitPrice = 2.5m }).ToList(),
    };

    /// <summary>Compares every order the workload wrote with what <paramref name="read"/> returns now; lists the mismatches (lost, resurrected or different).</summary>
    public async Task<List<string>> CheckAsync(Func<OrderId, Task<OrderRecord?>> read)
    {
        var problems = new List<string>();
        foreach (var (id, expected) in Expected)
        {
            var actual = await read(id);
            if (expected is null && actual is not null)
            {
                problems.Add($"{id}: resurrected (v{actual.Version})");
            }
            else if (expected is not null && actual is null)
            {
                problems.Add($"{id}: lost (expected v{expected.Version})");
            }
            else if (expected is not null && actual is not null && Describe(expected) != Describe(actual))
            {
                problems.Add($"{id}: expected {Describe(expected)}, found {Describe(actual)}");
            }
        }

        return problems;
    }

    /// <summary>The fields an order is compared on.</summary>
    public static string Describe(OrderRecord order) =>
        FormattableString.Invariant($"v{order.Version} {order.UserId} {order.MerchantId} {order.Status} {order.TotalAmount:0.00} {order.Currency} {order.Ext ?? "null"} [{string.Join(", ", order.Items.Select(i => FormattableString.Invariant($"#{i.LineNo} {i.Sku} x{i.Quantity} @ {i.UnitPrice:0.00}")))}]");

    /// <summary>The nearest-rank <paramref name="quantile"/> (0..1) of <paramref name="values"/>, in any order; 0 when there are none.</summary>
    public static double Percentile(IReadOnlyList<double> values, double quantile) => NearestRank.Of(values.Order().ToArray(), quantile);
}

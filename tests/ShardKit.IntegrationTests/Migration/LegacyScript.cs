using System.Collections.Concurrent;
using MySqlConnector;
using ShardKit.Migration;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// A script that writes the legacy tables with plain SQL, knowing nothing of ShardKit, until it is stopped: each step
/// (<see cref="StepAsync"/>) inserts an order, updates one, changes one's child rows only, or deletes one, on a legacy key
/// it is given (one it inserted, a third of the time). A write the fence refuses is counted; a deadlock is rolled back
/// whole (a script would retry); anything else is a failure.
/// </summary>
internal abstract class LegacyScript(string connectionString, long firstKey, long lastKey)
{
    private int _inserts;
    private int _updates;
    private int _childUpdates;
    private int _deletes;
    private int _refusals;

    public ConcurrentQueue<string> Failures { get; } = new();

    public ConcurrentQueue<string> RefusalMessages { get; } = new();

    public ConcurrentBag<long> Inserted { get; } = [];

    public ConcurrentBag<long> Deleted { get; } = [];

    public int Inserts => _inserts;

    public int Updates => _updates;

    public int ChildUpdates => _childUpdates;

    public int Deletes => _deletes;

    public int Refusals => _refusals;

    public string Summary => $"{Inserts} inserts, {Updates} updates, {ChildUpdates} child updates, {Deletes} deletes, {Refusals} refused, {Failures.Count} failed";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var random = new Random(5);
        await using var connection = new MySqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        var n = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var inserted = Inserted.ToArray();
            var key = inserted.Length > 0 && random.Next(3) == 0 ? inserted[random.Next(inserted.Length)] : random.NextInt64(firstKey, lastKey + 1);
            try
            {
                await StepAsync(connection, random, key, ++n);
            }
            catch (MySqlException ex) when (ShardFenceSignal.Find(ex) is { Side: not null })
            {
                Interlocked.Increment(ref _refusals);
                RefusalMessages.Enqueue(ex.Message);
            }
            catch (MySqlException ex) when (ex.ErrorCode is MySqlErrorCode.LockDeadlock or MySqlErrorCode.LockWaitTimeout)
            {
                // Rolled back whole; a script would retry.
            }
            catch (MySqlException ex)
            {
                Failures.Enqueue($"{ex.ErrorCode}: {ex.Message}");
            }

            await Task.Delay(3, CancellationToken.None);
        }
    }

    /// <summary>One write on legacy key <paramref name="key"/> (or a new order), counted with the methods below once committed.</summary>
    protected abstract Task StepAsync(MySqlConnection connection, Random random, long key, int n);

    protected void Insert(long key)
    {
        Inserted.Add(key);
        Interlocked.Increment(ref _inserts);
    }

    protected void Update() => Interlocked.Increment(ref _updates);

    protected void ChildUpdate() => Interlocked.Increment(ref _childUpdates);

    protected void Delete(long key)
    {
        Deleted.Add(key);
        Interlocked.Increment(ref _deletes);
    }
}

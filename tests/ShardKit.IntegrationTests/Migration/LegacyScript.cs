using System.Collections.Concurrent;
using Dapper;
using MySqlConnector;
using ShardKit.Migration;

namespace ShardKit.IntegrationTests.Migration;

/// <summary>
/// A script that writes the legacy tables with plain SQL, knowing nothing of ShardKit, until it is stopped: each step
/// inserts an order, updates one, changes one's child rows only, or deletes one, on a legacy key (one it inserted, a third
/// of the time), with the SQL of its schema (the abstract texts). A write the fence refuses is counted; a deadlock is rolled back
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

    /// <summary>Inserts a root row (its key is <c>LAST_INSERT_ID()</c>); parameters from <see cref="InsertParameters"/>.</summary>
    protected abstract string InsertRoot { get; }

    /// <summary>Inserts the new order's child rows (<c>@Id</c>: its key).</summary>
    protected abstract string InsertChildren { get; }

    /// <summary>Updates the root row of <c>@Key</c> (<c>@N</c>: a random number).</summary>
    protected abstract string UpdateRoot { get; }

    /// <summary>Changes one child row of <c>@Key</c> alone (the capture trigger raises its order's version).</summary>
    protected abstract string UpdateChild { get; }

    /// <summary>Deletes the child rows of <c>@Key</c>.</summary>
    protected abstract string DeleteChildren { get; }

    /// <summary>Deletes the root row of <c>@Key</c>.</summary>
    protected abstract string DeleteRoot { get; }

    /// <summary>The parameters of <see cref="InsertRoot"/> for the <paramref name="n"/>-th step.</summary>
    protected abstract object InsertParameters(Random random, int n);

    /// <summary>One write on legacy key <paramref name="key"/> (or a new order), counted once committed.</summary>
    private async Task StepAsync(MySqlConnection connection, Random random, long key, int n)
    {
        switch (random.Next(4))
        {
            case 0:
                await using (var transaction = await connection.BeginTransactionAsync(CancellationToken.None))
                {
                    await connection.ExecuteAsync(InsertRoot, InsertParameters(random, n), transaction);
                    var id = await connection.ExecuteScalarAsync<long>("SELECT LAST_INSERT_ID()", transaction: transaction);
                    await connection.ExecuteAsync(InsertChildren, new { Id = id }, transaction);
                    await transaction.CommitAsync(CancellationToken.None);
                    Inserted.Add(id);
                    Interlocked.Increment(ref _inserts);
                }

                break;
            case 1:
                if (await connection.ExecuteAsync(UpdateRoot, new { Key = key, N = random.Next(1000) }) > 0)
                {
                    Interlocked.Increment(ref _updates);
                }

                break;
            case 2:
                if (await connection.ExecuteAsync(UpdateChild, new { Key = key }) > 0)
                {
                    Interlocked.Increment(ref _childUpdates);
                }

                break;
            default:
                if (random.Next(3) != 0)
                {
                    break;
                }

                await using (var transaction = await connection.BeginTransactionAsync(CancellationToken.None))
                {
                    await connection.ExecuteAsync(DeleteChildren, new { Key = key }, transaction);
                    var deleted = await connection.ExecuteAsync(DeleteRoot, new { Key = key }, transaction);
                    await transaction.CommitAsync(CancellationToken.None);
                    if (deleted > 0)
                    {
                        Deleted.Add(key);
                        Interlocked.Increment(ref _deletes);
                    }
                }

                break;
        }
    }
}

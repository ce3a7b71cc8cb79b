using System.Data;
using System.Data.Common;
using Dapper;
using Polly;

namespace ShardKit.Orders;

/// <summary>
/// Applies an order's merchant copy the one idempotent way (for callers that do not hold the rows: repairs, migrations;
/// the store's writes and the relay write held or batch-read states through <see cref="MerchantCopyWriter"/>): re-read the
/// current user-side state (the rows of every copied table, or the tombstone), write it into the merchant shard with
/// <see cref="MerchantCopyWriter"/> (an older version never overwrites a newer one; a deletion is a merchant tombstone
/// and the removal of the rows), then mark the order's outbox entries up to that version applied. Running it twice, in any order with other applies, ends in the same merchant row.
/// </summary>
internal sealed class MerchantApplier
{
    private const string MarkApplied = "UPDATE {schema}.`shardkit_outbox` SET applied_at = @Now WHERE order_id = @OrderId AND version <= @Version AND applied_at IS NULL";
    private readonly ShardKitDataSource _dataSource;

    // Deadlocks or lock wait timeouts between concurrent appliers of the same order: safe to run again.
    private readonly ResiliencePipeline _retry;

    public MerchantApplier(ShardKitDataSource dataSource)
    {
        _dataSource = dataSource;
        _retry = TransientRetry.Create(attempts: 3, TimeSpan.FromMilliseconds(5), dataSource.TimeProvider);
    }

    /// <summary>Test hook: runs after the merchant write and before the outbox is marked (a crash there must be harmless).</summary>
    internal Func<OrderId, Task>? AfterMerchantWrite { get; set; }

    /// <summary>Applies the order's current user-side state to its merchant shard and marks its outbox entries.</summary>
    /// <returns>The version applied, or <see langword="null"/> when the user side holds neither the order nor its tombstone.</returns>
    public async Task<long?> ApplyAsync(OrderId orderId, bool force, CancellationToken cancellationToken)
    {
        var userShard = await _dataSource.OpenOrderShardAsync(orderId, ShardDimension.User, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (userShard.ConfigureAwait(false))
        {
            return await ApplyAsync(userShard, orderId, force, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>As <see cref="ApplyAsync(OrderId, bool, CancellationToken)"/>, on an open connection to the order's user shard.</summary>
    public async Task<long?> ApplyAsync(ShardConnection userShard, OrderId orderId, bool force, CancellationToken cancellationToken) =>
        await _retry.ExecuteAsync(
            static (s, ct) => new ValueTask<long?>(s.Self.ApplyOnceAsync(s.Shard, s.OrderId, s.Force, ct)),
            (Self: this, Shard: userShard, OrderId: orderId, Force: force),
            cancellationToken).ConfigureAwait(false);

    /// <summary>Writes the merchant copies of <paramref name="states"/> (all of one merchant shard) in one round trip, retrying transient failures.</summary>
    public async Task WriteCopiesAsync(ShardConnection merchantShard, IReadOnlyList<UserSideState> states, CancellationToken cancellationToken)
    {
        var plan = await MerchantCopyPlan.GetAsync(_dataSource, merchantShard, states, cancellationToken).ConfigureAwait(false);
        await _retry.ExecuteAsync(
            static (s, ct) => new ValueTask(MerchantCopyWriter.WriteAsync(s.Shard, s.Plan, s.States, ct)),
            (Shard: merchantShard, Plan: plan, States: states),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the <see cref="AfterMerchantWrite"/> hook, if any, for <paramref name="orderId"/>.</summary>
    internal Task AfterMerchantWriteAsync(OrderId orderId) => AfterMerchantWrite is { } hook ? hook(orderId) : Task.CompletedTask;

    private async Task<long?> ApplyOnceAsync(ShardConnection userShard, OrderId orderId, bool force, CancellationToken cancellationToken)
    {
        UserSideState? state;
        var read = await userShard.Connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        await using (read.ConfigureAwait(false))
        {
            // One snapshot for the row and its items. A repair reads with shared locks instead and holds them while it
            // overwrites the merchant copy, so no user write can commit (and apply) in between.
            state = await ReadUserSideAsync(userShard, read, orderId, locking: force, cancellationToken).ConfigureAwait(false);
            if (!force)
            {
                await read.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (state is not null)
            {
                await WriteMerchantCopyAsync(state, force, cancellationToken).ConfigureAwait(false);
            }
            else if (force)
            {
                await HideOrphanAsync(orderId, cancellationToken).ConfigureAwait(false);
            }

            if (force)
            {
                await read.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (AfterMerchantWrite is { } hook)
        {
            await hook(orderId).ConfigureAwait(false);
        }

        // Every entry up to the version applied is satisfied; with no trace on the user side there is nothing left to apply.
        await userShard.Connection.ExecuteAsync(new CommandDefinition(
            userShard.Sql(MarkApplied),
            new { OrderId = orderId.Value, Version = state?.Version ?? long.MaxValue, Now = OrderReader.Now(_dataSource.TimeProvider).UtcDateTime },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return state?.Version;
    }

    internal async Task<UserSideState?> ReadUserSideAsync(ShardConnection userShard, DbTransaction transaction, OrderId orderId, bool locking, CancellationToken cancellationToken)
    {
        var states = await UserSideReader.ReadStatesAsync(userShard, _dataSource.Map.Tables, [orderId.Value], transaction, locking, cancellationToken).ConfigureAwait(false);
        return states.GetValueOrDefault(orderId.Value);
    }

    /// <summary>
    /// Reads the current user-side states (rows of every copied table, or tombstone) of many orders of one user shard in one
    /// snapshot, in one round trip. Orders with no trace on the user side are absent.
    /// </summary>
    internal Task<Dictionary<long, UserSideState>> ReadUserSidesAsync(ShardConnection userShard, IReadOnlyList<long> orderIds, CancellationToken cancellationToken) =>
        UserSideReader.ReadStatesAsync(userShard, _dataSource.Map.Tables, orderIds, transaction: null, locking: false, cancellationToken);

    private async Task WriteMerchantCopyAsync(UserSideState state, bool force, CancellationToken cancellationToken)
    {
        var merchantShard = await _dataSource.OpenOrderShardAsync(state.Id, ShardDimension.Merchant, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (merchantShard.ConfigureAwait(false))
        {
            if (force)
            {
                // The repair: the user side wins whatever the merchant copy holds (the user rows are share-locked meanwhile):
                // the copy's rows and tombstone go, then the state is written as if for the first time.
                await RemoveAsync(merchantShard, state.Id, cancellationToken).ConfigureAwait(false);
            }

            var plan = await MerchantCopyPlan.GetAsync(_dataSource, merchantShard, [state], cancellationToken).ConfigureAwait(false);
            await MerchantCopyWriter.WriteAsync(merchantShard, plan, [state], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes every row of an order from a merchant shard, its tombstone included.</summary>
    private async Task RemoveAsync(ShardConnection merchantShard, OrderId orderId, CancellationToken cancellationToken)
    {
        var sql = new System.Text.StringBuilder(merchantShard.Sql("DELETE FROM {schema}.`shardkit_tombstones` WHERE order_id = @OrderId"));
        foreach (var table in _dataSource.Map.Tables.In(ShardDimension.Merchant).Reverse())
        {
            sql.Append(";\nDELETE FROM ").Append(merchantShard.Sql(table.Placeholder)).Append(" WHERE `").Append(table.OrderIdColumn).Append("` = @OrderId");
        }

        await merchantShard.Connection.ExecuteAsync(new CommandDefinition(sql.ToString(), new { OrderId = orderId.Value }, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private async Task HideOrphanAsync(OrderId orderId, CancellationToken cancellationToken)
    {
        var merchantShard = await _dataSource.OpenOrderShardAsync(orderId, ShardDimension.Merchant, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (merchantShard.ConfigureAwait(false))
        {
            await RemoveAsync(merchantShard, orderId, cancellationToken).ConfigureAwait(false);
        }
    }
}

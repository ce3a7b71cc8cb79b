using System.Data;
using System.Data.Common;
using System.Text;
using Dapper;
using Polly;

namespace ShardKit.Migration;

/// <summary>
/// The reverse flow's write: applies an order's state read from its user shard to the legacy tables, in their shape
/// (<see cref="LegacyTables"/>: their names, the legacy key, each column's legacy name), with the same version guard as the
/// forward copy. An order created on the shards after cutover gets a new legacy row (and key, from the root's
/// <c>AUTO_INCREMENT</c>); its child rows hold that key.
/// </summary>
internal sealed class LegacyApplier
{
    private static readonly ResiliencePipeline s_retry = TransientRetry.Create(attempts: 5, TimeSpan.FromMilliseconds(10), TimeProvider.System);

    private readonly LegacySource _source;
    private readonly string _deleteOrder;

    public LegacyApplier(LegacySource source)
    {
        _source = source;
        _deleteOrder = source.Sql($"DELETE FROM {{root}} WHERE {source.Key} = @LegacyId");
    }

    /// <summary>Applies <paramref name="state"/> unless the source holds the order or its tombstone at the same or a newer version (or <paramref name="force"/>).</summary>
    public async Task<bool> ApplyAsync(DbConnection connection, UserSideState state, bool force, CancellationToken cancellationToken)
    {
        return await s_retry.ExecuteAsync(
            static async (s, ct) =>
            {
                var transaction = await s.Connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    var applied = await s.Self.ApplyOneAsync(s.Connection, transaction, s.State, s.Force, ct).ConfigureAwait(false);
                    await transaction.CommitAsync(ct).ConfigureAwait(false);
                    return applied;
                }
            },
            (Self: this, Connection: connection, State: state, Force: force),
            cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> ApplyOneAsync(DbConnection connection, DbTransaction transaction, UserSideState state, bool force, CancellationToken cancellationToken)
    {
        var id = new { OrderId = state.Id.Value, Key = LegacyOrderIds.KeyOrNone(state.Id) };
        // An order carries its own ID, or (an ID derived from its legacy key) is found by that key.
        var row = await connection.QuerySingleOrDefaultAsync<(long LegacyId, long Version)?>(new CommandDefinition(
            _source.Sql($"SELECT {_source.Key}, {_source.VersionColumn} FROM {{root}} WHERE {_source.WhereOrder(state.Id)} FOR UPDATE"), id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var tombstone = await connection.QuerySingleOrDefaultAsync<(long LegacyId, long Version)?>(new CommandDefinition(
            _source.Sql($"SELECT legacy_id, version FROM {{schema}}.`shardkit_tombstones` WHERE {LegacySource.WhereTombstone(state.Id)} FOR UPDATE"), id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var current = Math.Max(row?.Version ?? 0, tombstone?.Version ?? 0);
        if (!force && current >= state.Version)
        {
            return false;
        }

        var legacyId = row?.LegacyId ?? tombstone?.LegacyId ?? 0;
        if (state.Tombstone is { } dead)
        {
            if (row is not null)
            {
                await DeleteChildrenAsync(connection, transaction, legacyId, cancellationToken).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition(_deleteOrder, new { LegacyId = legacyId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await Tombstones.UpsertAsync(connection, transaction, _source.Sql, [dead with { LegacyId = legacyId }], cancellationToken).ConfigureAwait(false);
            return true;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            _source.Sql($"DELETE FROM {{schema}}.`shardkit_tombstones` WHERE {LegacySource.WhereTombstone(state.Id)}"), id, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var tables = _source.Tables.Tables;
        var columns = _source.Columns[0];
        var values = Values(state.Root!, columns, 0);
        var sql = new StringBuilder();
        if (row is not null)
        {
            sql.Append("UPDATE ").Append(_source.TableOf(tables[0].Table)).Append(" SET ");
            for (var i = 0; i < columns.Length; i++)
            {
                sql.Append(i == 0 ? "" : ", ").Append('`').Append(tables[0].ColumnOf(columns[i])).Append("` = ");
                SqlLiteral.Append(sql, values[0][i]);
            }

            sql.Append(" WHERE ").Append(_source.Key).Append(" = ").Append(legacyId);
            await BatchText.ExecuteAsync(connection, transaction, sql.ToString(), cancellationToken).ConfigureAwait(false);
            await DeleteChildrenAsync(connection, transaction, legacyId, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            sql.Append("INSERT INTO ").Append(_source.TableOf(tables[0].Table)).Append(" (");
            sql.AppendJoin(", ", columns.Select(c => "`" + tables[0].ColumnOf(c) + "`")).Append(", `shardkit_order_id`) VALUES (");
            for (var i = 0; i < columns.Length; i++)
            {
                SqlLiteral.Append(sql, values[0][i]);
                sql.Append(", ");
            }

            sql.Append(state.Id.Value).Append(')');
            await BatchText.ExecuteAsync(connection, transaction, sql.ToString(), cancellationToken).ConfigureAwait(false);
            legacyId = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT LAST_INSERT_ID()", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        for (var t = 1; t < tables.Count; t++)
        {
            var rows = state.Children.FirstOrDefault(c => ReferenceEquals(c.Table, tables[t].Table) || c.Table.Name.Equals(tables[t].Table.Name, StringComparison.OrdinalIgnoreCase));
            if (rows is null || rows.Rows.Count == 0)
            {
                continue;
            }

            var childColumns = _source.Columns[t];
            sql.Clear().Append("INSERT INTO ").Append(_source.TableOf(tables[t].Table)).Append(" (`").Append(tables[t].KeyColumn).Append('`');
            foreach (var column in childColumns)
            {
                sql.Append(", `").Append(tables[t].ColumnOf(column)).Append('`');
            }

            sql.Append(") VALUES ");
            var childValues = Values(rows, childColumns, t);
            for (var r = 0; r < childValues.Count; r++)
            {
                sql.Append(r == 0 ? "(" : ", (").Append(legacyId);
                foreach (var value in childValues[r])
                {
                    sql.Append(", ");
                    SqlLiteral.Append(sql, value);
                }

                sql.Append(')');
            }

            await BatchText.ExecuteAsync(connection, transaction, sql.ToString(), cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>The values of <paramref name="columns"/> in every row of <paramref name="rows"/> (a column the shard row lacks is an error).</summary>
    private List<object?[]> Values(TableRows rows, string[] columns, int table)
    {
        var at = columns.Select(c => rows.IndexOf(c)).ToArray();
        if (Array.IndexOf(at, -1) is var missing and >= 0)
        {
            throw new InvalidOperationException(
                $"The shard's {rows.Table.Name} row has no column {columns[missing]}, which the legacy table {_source.Tables.Tables[table].Name} is written with.");
        }

        return rows.Rows.Select(r => at.Select(i => r[i]).ToArray()).ToList();
    }

    private async Task DeleteChildrenAsync(DbConnection connection, DbTransaction transaction, long legacyId, CancellationToken cancellationToken)
    {
        foreach (var child in _source.Tables.Tables.Skip(1))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {_source.TableOf(child.Table)} WHERE `{child.KeyColumn}` = @LegacyId", new { LegacyId = legacyId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }
}

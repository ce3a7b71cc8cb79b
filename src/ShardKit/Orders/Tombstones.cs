using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;

namespace ShardKit.Orders;

/// <summary>
/// What a deleted order leaves behind: its keys, when it was deleted and the version of the deletion. On a legacy
/// source during a migration it also keeps the legacy row's ID (<c>LegacyId</c>); on a shard that is <see langword="null"/>.
/// </summary>
internal readonly record struct Tombstone(long OrderId, long UserId, long MerchantId, DateTime CreatedAt, DateTime DeletedAt, long Version, long? LegacyId = null);

/// <summary>
/// The one writer of tombstones, on shards and on a migration's legacy source alike: one multi-row upsert in which a
/// deletion replaces an older one of the same order (its time and version).
/// </summary>
internal static class Tombstones
{
    private const string Tail = " ON DUPLICATE KEY UPDATE deleted_at = VALUES(deleted_at), version = VALUES(version)";

    /// <summary>Upserts <paramref name="tombstones"/> in one statement (<c>{schema}</c> expanded by <paramref name="sql"/>).</summary>
    public static Task UpsertAsync(DbConnection connection, DbTransaction transaction, Func<string, string> sql, IReadOnlyList<Tombstone> tombstones, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var parameters = new DynamicParameters();
        Append(text, parameters, sql, tombstones);
        return connection.ExecuteAsync(new CommandDefinition(text.ToString(), parameters, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Appends the upsert of <paramref name="tombstones"/> to a multi-statement text (as a new statement when the text is
    /// not empty) and its values to <paramref name="parameters"/> (named <c>@Tomb{column}{n}</c>). Nothing when there are none.
    /// </summary>
    public static void Append(StringBuilder text, DynamicParameters parameters, Func<string, string> sql, IReadOnlyList<Tombstone> tombstones)
    {
        if (tombstones.Count == 0)
        {
            return;
        }

        var legacy = tombstones[0].LegacyId is not null;
        if (tombstones.Any(t => t.LegacyId is not null != legacy))
        {
            throw new ArgumentException("Tombstones of one statement are all on a legacy source (with legacy IDs) or all on shards.", nameof(tombstones));
        }

        text.Append(text.Length == 0 ? "" : ";\n")
            .Append(sql(legacy
                ? "INSERT INTO {schema}.`shardkit_tombstones` (order_id, legacy_id, user_id, merchant_id, created_at, deleted_at, version) VALUES "
                : "INSERT INTO {schema}.`shardkit_tombstones` (order_id, user_id, merchant_id, created_at, deleted_at, version) VALUES "));
        for (var i = 0; i < tombstones.Count; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            var t = tombstones[i];
            text.Append(i == 0 ? "(" : ", (")
                .Append("@TombO").Append(n)
                .Append(legacy ? ", @TombL" + n : "")
                .Append(", @TombU").Append(n).Append(", @TombM").Append(n).Append(", @TombC").Append(n).Append(", @TombD").Append(n).Append(", @TombV").Append(n)
                .Append(')');
            parameters.Add("TombO" + n, t.OrderId);
            if (legacy)
            {
                parameters.Add("TombL" + n, t.LegacyId);
            }

            parameters.Add("TombU" + n, t.UserId);
            parameters.Add("TombM" + n, t.MerchantId);
            parameters.Add("TombC" + n, t.CreatedAt);
            parameters.Add("TombD" + n, t.DeletedAt);
            parameters.Add("TombV" + n, t.Version);
        }

        text.Append(Tail);
    }

    /// <summary>
    /// Appends the upsert of <paramref name="tombstones"/> (of a shard: their legacy IDs are not written) into
    /// <paramref name="table"/> (the expanded <c>{schema}.`shardkit_tombstones`</c>) as one statement with the values as
    /// literals (<see cref="SqlLiteral"/>), for the copy's text batches; nothing when there are none.
    /// </summary>
    public static void AppendLiterals(StringBuilder text, string table, IReadOnlyList<Tombstone> tombstones)
    {
        if (tombstones.Count == 0)
        {
            return;
        }

        text.Append("INSERT INTO ").Append(table).Append(" (order_id, user_id, merchant_id, created_at, deleted_at, version) VALUES ");
        for (var i = 0; i < tombstones.Count; i++)
        {
            var t = tombstones[i];
            text.Append(i == 0 ? "(" : ", (").Append(t.OrderId).Append(", ").Append(t.UserId).Append(", ").Append(t.MerchantId).Append(", ");
            SqlLiteral.Append(text, t.CreatedAt);
            text.Append(", ");
            SqlLiteral.Append(text, t.DeletedAt);
            text.Append(", ").Append(t.Version).Append(')');
        }

        text.Append(Tail).Append(";\n");
    }
}

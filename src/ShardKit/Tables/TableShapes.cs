using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using ShardKit.Schema;
using ShardKit.Tables;

namespace ShardKit.Tables;

/// <summary>
/// The columns of the declared tables per dimension, as the servers describe them: read from one shard's
/// <c>information_schema</c> (every shard of a dimension has the same shape; <c>shardkit topology validate</c> checks that)
/// and kept for the data source's current map. The built-in tables are ShardKit's own DDL, so their columns are known
/// without a read. Cross-shard queries type their columns with it, and the stores write and copy the columns it lists.
/// A shape is read again when it is older than <see cref="MaxAge"/> (a column added by <c>shardkit schema apply</c> is
/// picked up without a restart), or at once when a write names a column the cached shape lacks (a cross-shard query that
/// names one: at most once a second per table).
/// </summary>
internal sealed class TableShapes
{
    /// <summary>How long a shape read from a server is used before it is read again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    // Every information_schema lookup names the schema and table as constants, so the server opens only this table's
    // definition rather than every table it holds.
    private const string ReadColumns = """
        SELECT c.COLUMN_NAME, c.DATA_TYPE, c.COLUMN_TYPE, c.IS_NULLABLE, IFNULL(c.GENERATION_EXPRESSION, '') <> '' AS is_generated,
            IFNULL((SELECT MIN(k.ORDINAL_POSITION) FROM information_schema.KEY_COLUMN_USAGE k
                WHERE k.TABLE_SCHEMA = @Schema AND k.TABLE_NAME = @Table AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'), 0) AS pk,
            c.DATA_TYPE = 'longtext' AND EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS x
                WHERE x.CONSTRAINT_SCHEMA = @Schema AND x.CHECK_CLAUSE = CONCAT('json_valid(`', c.COLUMN_NAME, '`)')) AS is_json
        FROM information_schema.COLUMNS c
        WHERE c.TABLE_SCHEMA = @Schema AND c.TABLE_NAME = @Table
        ORDER BY c.ORDINAL_POSITION
        """;

    private static readonly TableShape s_builtInOrders = new("orders", OrderSchema.OrdersColumns, ["order_id"], fromServer: false);
    private static readonly TableShape s_builtInItems = new("order_items", OrderSchema.ItemsColumns, ["order_id", "line_no"], fromServer: false);

    private readonly ShardKitDataSource _shards;

    /// <summary>The built-in tables' shapes, <c>orders</c> then <c>order_items</c> (ShardKit's own DDL, known without a read).</summary>
    public static IReadOnlyList<TableShape> BuiltIn { get; } = [s_builtInOrders, s_builtInItems];
    private volatile Entries _entries = new(null);

    public TableShapes(ShardKitDataSource shards)
    {
        _shards = shards;
    }

    /// <summary>
    /// The declared table <paramref name="name"/> (null: the root table) of <paramref name="map"/>'s model on
    /// <paramref name="dimension"/>, with the ShardKit declaration it comes from.
    /// </summary>
    /// <exception cref="ArgumentException">The model has no such table, or the dimension's shards do not hold it.</exception>
    public static DeclaredTable Declared(ShardMap map, ShardDimension dimension, string? name, string paramName)
    {
        var model = map.Tables;
        var table = name is null ? model.Root : model.Find(name);
        if (table is null)
        {
            throw new ArgumentException(
                $"Unknown table '{name}': cross-shard queries read a declared table, which are {string.Join(", ", model.Tables.Select(t => t.Name))}.",
                paramName);
        }

        if (!table.IsIn(dimension))
        {
            throw new ArgumentException(
                $"Table {table.Name} is not on the {ShardSlot.DimensionName(dimension)} shards (its merchant copy is {table.MerchantCopy}); " +
                $"the {ShardSlot.DimensionName(dimension)} shards hold {string.Join(", ", model.In(dimension).Select(t => t.Name))}.",
                paramName);
        }

        return table;
    }

    /// <summary>The table without a server read, when its columns are known (the built-in tables); else null.</summary>
    public static TableShape? Known(ShardMap map, DeclaredTable table) =>
        map.Tables.IsDeclared ? null
        : ReferenceEquals(table, map.Tables.Root) ? s_builtInOrders
        : table.Name == "order_items" ? s_builtInItems
        : null;

    /// <summary>
    /// The table's columns on the dimension of <paramref name="shard"/> (an open connection to one of its shards): known,
    /// cached, or read through that connection. <paramref name="named"/> are columns the caller is about to write: one the
    /// cached shape lacks makes it read again first (a column added since), so a write never loses a value to a stale shape.
    /// </summary>
    /// <exception cref="ArgumentException">The table does not exist on the shard.</exception>
    public async ValueTask<TableShape> GetAsync(ShardConnection shard, DeclaredTable declared, IEnumerable<string>? named, CancellationToken cancellationToken)
    {
        var map = _shards.Map;
        if (Known(map, declared) is { } known)
        {
            return known;
        }

        var entries = EntriesOf(map);
        var key = (shard.Route.Dimension, declared.Name);
        if (entries.Tables.TryGetValue(key, out var cached) && !IsStale(cached) && (named is null || named.All(cached.Has)))
        {
            return cached;
        }

        var table = await ReadAsync(shard, declared, cancellationToken).ConfigureAwait(false);
        entries.Tables[key] = table;
        return table;
    }

    private static bool IsStale(TableShape table) =>
        table.FromServer && Environment.TickCount64 - table.ReadAt > (long)MaxAge.TotalMilliseconds;

    private Entries EntriesOf(ShardMap map)
    {
        var entries = _entries;
        if (!ReferenceEquals(entries.Map, map))
        {
            entries = new Entries(map);
            _entries = entries;
        }

        return entries;
    }

    /// <summary>
    /// The table's columns on <paramref name="dimension"/>: known, cached, or read from the first shard of the first
    /// cluster of <paramref name="parts"/> that answers.
    /// </summary>
    /// <exception cref="ArgumentException">The table does not exist on the shard read.</exception>
    /// <exception cref="ShardKitException"><see cref="ShardKitErrorCode.ShardUnavailable"/>: no cluster of the query answered.</exception>
    public async ValueTask<TableShape> GetAsync(
        ShardMap map, ShardDimension dimension, DeclaredTable declared, IReadOnlyList<ClusterPart> parts, ReadPreference preference, bool refresh,
        CancellationToken timeoutToken, CancellationToken callerToken)
    {
        if (Known(map, declared) is { } known)
        {
            return known;
        }

        var entries = EntriesOf(map);
        var key = (dimension, declared.Name);
        if (!refresh && entries.Tables.TryGetValue(key, out var cached) && !IsStale(cached))
        {
            return cached;
        }

        Exception? last = null;
        foreach (var part in parts)
        {
            try
            {
                var table = await ReadAsync(part.Slots[0], declared, preference, timeoutToken).ConfigureAwait(false);
                entries.Tables[key] = table;
                return table;
            }
            catch (Exception ex) when (CrossShardQueryExecutor.IsUnavailable(ex, callerToken))
            {
                last = ex;
                if (timeoutToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        var reason = last is OperationCanceledException ? "no answer within the timeout" : last?.Message;
        throw new ShardKitException(
            ShardKitErrorCode.ShardUnavailable,
            $"Cross-shard query on the {ShardSlot.DimensionName(dimension)} dimension: the columns of table {declared.Name} could not be read from any of its " +
            $"{parts.Count} clusters ({reason}).",
            last)
        {
            Shard = parts.Count > 0 ? parts[0].Slots[0].Name : null,
        };
    }

    private async Task<TableShape> ReadAsync(ShardSlot slot, DeclaredTable declared, ReadPreference preference, CancellationToken cancellationToken)
    {
        var connection = await _shards.OpenAsync(new ShardRoute(slot), preference, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await ReadAsync(connection, declared, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the table's columns on the shard <paramref name="connection"/> is open to.</summary>
    private static async Task<TableShape> ReadAsync(ShardConnection connection, DeclaredTable declared, CancellationToken cancellationToken)
    {
        var rows = (await connection.Connection.QueryAsync<(string Name, string DataType, string ColumnType, string Nullable, bool Generated, long Pk, bool Json)>(
            new CommandDefinition(ReadColumns, new { connection.Schema, Table = declared.Name }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        if (rows.Count == 0)
        {
            throw new ArgumentException(
                $"Table {declared.Name} does not exist on shard {connection.Route.Name} (schema {connection.Schema}); create it there (shardkit schema apply) " +
                "and check the shards with shardkit topology validate.");
        }

        var columns = rows.Select(r => new ColumnShape(r.Name, r.Json ? "json" : r.DataType.ToLowerInvariant(), r.ColumnType, r.Nullable == "YES", r.Generated)).ToList();
        IReadOnlyList<string> tiebreaker = declared.Role == TableRole.Root
            ? [columns.FirstOrDefault(c => c.Name.Equals(declared.OrderIdColumn, StringComparison.OrdinalIgnoreCase))?.Name ?? declared.OrderIdColumn]
            : rows.Where(r => r.Pk > 0).OrderBy(r => r.Pk).Select(r => r.Name).ToList();
        return new TableShape(declared.Name, columns, tiebreaker, fromServer: true);
    }

    private sealed class Entries(ShardMap? map)
    {
        public ShardMap? Map { get; } = map;

        public ConcurrentDictionary<(ShardDimension, string), TableShape> Tables { get; } = new();
    }
}

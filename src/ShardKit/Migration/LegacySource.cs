using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using ShardKit.Connections;

namespace ShardKit.Migration;

/// <summary>
/// The legacy database as the migration sees it: the legacy tables that fill the declared tables
/// (<see cref="LegacyTables"/>: their names, the legacy key, each column's legacy name), the columns the plan adds to the
/// root (<c>version</c> when missing, <c>shardkit_order_id</c>, <c>shardkit_bucket</c>), and the migration's own tables
/// next to them: the fence (one row per bucket), the change table and the tombstones. Orders are read as the declared
/// tables' rows (<see cref="UserSideState"/>), with the ShardKit ID in each table's order-ID column, so they are written and
/// compared on the shards as any other order. Every SQL text here names tables with the schema.
/// </summary>
internal sealed class LegacySource
{
    private const string KeyAlias = "shardkit_legacy_key";
    private const string IdAlias = "shardkit_id";
    private const string TombstoneColumns = "legacy_id, order_id, user_id, merchant_id, created_at, deleted_at, version";

    private static readonly string[] s_prepare =
    [
        "ALTER TABLE {root} ADD COLUMN IF NOT EXISTS shardkit_order_id BIGINT NULL",
        "CREATE UNIQUE INDEX IF NOT EXISTS ux_shardkit_order ON {root} (shardkit_order_id)",
        """
        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_fence` (
            bucket    SMALLINT   NOT NULL,
            authority VARCHAR(8) NOT NULL,
            capture   TINYINT(1) NOT NULL,
            epoch     INT        NOT NULL,
            PRIMARY KEY (bucket)
        ) ENGINE = InnoDB
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_changes` (
            seq       BIGINT   NOT NULL AUTO_INCREMENT,
            bucket    SMALLINT NOT NULL,
            legacy_id BIGINT   NOT NULL,
            PRIMARY KEY (seq),
            KEY ix_bucket (bucket, seq)
        ) ENGINE = InnoDB
        """,
        """
        CREATE TABLE IF NOT EXISTS {schema}.`shardkit_tombstones` (
            legacy_id   BIGINT      NOT NULL,
            order_id    BIGINT      NULL,
            user_id     BIGINT      NOT NULL,
            merchant_id BIGINT      NOT NULL,
            created_at  DATETIME(6) NOT NULL,
            deleted_at  DATETIME(6) NOT NULL,
            version     BIGINT      NOT NULL,
            PRIMARY KEY (legacy_id),
            UNIQUE KEY ux_order (order_id)
        ) ENGINE = InnoDB
        """,
    ];

    private readonly string _schema;
    private readonly Dictionary<string, string> _placeholders = new(StringComparer.Ordinal);
    private Texts? _texts;

    public LegacySource(string database, ShardMap map)
    {
        ArgumentException.ThrowIfNullOrEmpty(database);
        Database = database;
        Map = map;
        var tables = Tables = map.LegacyTables;
        _schema = Quote(database);
        foreach (var table in tables.Tables)
        {
            _placeholders[table.Table.Placeholder] = _schema + "." + Quote(table.Name);
        }

        _placeholders["{root}"] = _schema + "." + Quote(tables.Root.Name);
        FenceShared = Sql("SELECT authority, capture, epoch FROM {schema}.`shardkit_fence` WHERE bucket = @Bucket LOCK IN SHARE MODE");
        FenceExclusive = Sql("SELECT authority, capture, epoch FROM {schema}.`shardkit_fence` WHERE bucket = @Bucket FOR UPDATE");
        SetFence = Sql("UPDATE {schema}.`shardkit_fence` SET authority = @Authority, capture = @Capture, epoch = @Epoch WHERE bucket = @Bucket");
        ReadChanges = Sql("SELECT seq, bucket, legacy_id FROM {schema}.`shardkit_changes` WHERE seq <= @UpTo ORDER BY seq LIMIT @Limit");
        ReadBucketChanges = Sql("SELECT seq, bucket, legacy_id FROM {schema}.`shardkit_changes` WHERE bucket = @Bucket AND seq <= @UpTo ORDER BY seq LIMIT @Limit");
        LastChange = Sql("SELECT IFNULL(MAX(seq), 0) FROM {schema}.`shardkit_changes`");
        DeleteChanges = Sql("DELETE FROM {schema}.`shardkit_changes` WHERE seq IN @Seqs");
        CountChanges = Sql("SELECT bucket, COUNT(*) FROM {schema}.`shardkit_changes` GROUP BY bucket");
        Key = Quote(tables.Root.KeyColumn);
        UserColumn = Quote(tables.Root.ColumnOf(tables.Model.Root.UserIdColumn!));
        MerchantColumn = Quote(tables.Root.ColumnOf(tables.Model.Root.MerchantIdColumn!));
        VersionColumn = Quote(tables.Root.ColumnOf(tables.Model.Root.VersionColumn!));
        if (!tables.Model.IsDeclared)
        {
            // ShardKit's own DDL: the shard tables' columns are known without a read.
            _texts = new Texts(this, TableShapes.BuiltIn);
        }
    }

    /// <summary>The legacy schema's name.</summary>
    public string Database { get; }

    /// <summary>The shard map (its shard counts give derived IDs their genes).</summary>
    public ShardMap Map { get; }

    /// <summary>The legacy tables and how they map onto the declared ones.</summary>
    public LegacyTables Tables { get; }

    /// <summary>The root's legacy key column, quoted.</summary>
    public string Key { get; }

    /// <summary>The root's user-ID column in the legacy table, quoted.</summary>
    public string UserColumn { get; }

    /// <summary>The root's merchant-ID column in the legacy table, quoted.</summary>
    public string MerchantColumn { get; }

    /// <summary>The root's version column in the legacy table, quoted.</summary>
    public string VersionColumn { get; }

    public string FenceShared { get; }

    public string FenceExclusive { get; }

    public string SetFence { get; }

    public string ReadChanges { get; }

    public string ReadBucketChanges { get; }

    /// <summary>The highest change sequence number so far (0 when the table is empty).</summary>
    public string LastChange { get; }

    public string DeleteChanges { get; }

    public string CountChanges { get; }

    /// <summary>Count and XOR of the canonical row hashes of one bucket (<c>@Bucket</c>).</summary>
    public string Aggregate => Loaded.Aggregate;

    /// <summary>ShardKit ID, version and canonical hash of every order of one bucket (<c>@Bucket</c>).</summary>
    public string Rows => Loaded.Rows;

    /// <summary>Count and XOR of the canonical hashes of a user shard's orders, on <see cref="Plan"/> (placeholders for <see cref="ShardConnection.Sql"/>).</summary>
    public string TargetAggregate => Loaded.TargetAggregate;

    /// <summary>Order ID, version and canonical hash of every order of a user shard, on <see cref="Plan"/>.</summary>
    public string TargetRows => Loaded.TargetRows;

    /// <summary>
    /// What the legacy import compares on both sides: every table of the user dimension with every column the server does
    /// not compute (the user shard's canonical form is <c>new CanonicalRow(Plan)</c>).
    /// </summary>
    public MerchantCopyPlan Plan => Loaded.Plan;

    /// <summary>The copied columns of each table of the user dimension (root first), the order-ID column left out.</summary>
    public IReadOnlyList<string[]> Columns => Loaded.Columns;

    /// <summary>Per declared table, the columns of a row as read: the order-ID column, then <see cref="Columns"/>.</summary>
    internal IReadOnlyList<string[]> RowColumns => Loaded.RowColumns;

    private Texts Loaded => _texts ?? throw new InvalidOperationException("The legacy source's table shapes were not read yet (LoadAsync).");

    /// <summary>
    /// Reads the declared tables' columns from a user shard (once), so the texts know what to copy; the built-in schema's are
    /// known without a read.
    /// </summary>
    public async ValueTask LoadAsync(ShardKitDataSource dataSource, CancellationToken cancellationToken)
    {
        if (_texts is not null)
        {
            return;
        }

        var shard = await dataSource.OpenAsync(dataSource.Map.GetRoute(ShardDimension.User, 0), ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var shapes = new List<TableShape>();
            foreach (var table in Tables.Model.In(ShardDimension.User))
            {
                shapes.Add(await dataSource.Shapes.GetAsync(shard, table, null, cancellationToken).ConfigureAwait(false));
            }

            _texts = new Texts(this, shapes);
        }
    }

    /// <summary>Expands <c>{schema}</c>, <c>{root}</c> and each declared table's placeholder (<c>{orders}</c>...) to the legacy schema's quoted names.</summary>
    public string Sql(string template)
    {
        var sql = template.Replace("{schema}", _schema, StringComparison.Ordinal);
        foreach (var (placeholder, name) in _placeholders)
        {
            sql = sql.Replace(placeholder, name, StringComparison.Ordinal);
        }

        return sql;
    }

    /// <summary>The quoted legacy table of the declared table <paramref name="table"/>.</summary>
    public string TableOf(DeclaredTable table) => _placeholders[table.Placeholder];

    /// <summary>The highest legacy key (0 when there is none).</summary>
    public string HighestKey => Sql($"SELECT IFNULL(MAX({Key}), 0) FROM {{root}}");

    /// <summary>The number of legacy orders with keys in (<c>@Cursor</c>, <c>@Until</c>].</summary>
    public string CountBetween => Sql($"SELECT COUNT(*) FROM {{root}} WHERE {Key} > @Cursor AND {Key} <= @Until");

    /// <summary>
    /// Checks the legacy tables against the declaration, nothing written: each legacy table and key column exists, the
    /// root's key is an integer <c>AUTO_INCREMENT</c> column (the reverse flow inserts orders made on the shards), and every
    /// column copied to the shards has its legacy column. Returns every problem, each naming the table and column.
    /// </summary>
    public async Task<List<string>> CheckAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var found = (await connection.QueryAsync<(string Table, string Column, string DataType, string Extra)>(new CommandDefinition(
            "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = @Schema AND TABLE_NAME IN @Tables",
            new { Schema = Database, Tables = Tables.Tables.Select(t => t.Name).ToArray() },
            cancellationToken: cancellationToken)).ConfigureAwait(false))
            .GroupBy(c => c.Table, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.ToDictionary(c => c.Column, c => (c.DataType, c.Extra), StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        for (var i = 0; i < Tables.Tables.Count; i++)
        {
            var legacy = Tables.Tables[i];
            var what = $"legacy table {Database}.{legacy.Name} (for {legacy.Table.Name})";
            if (!found.TryGetValue(legacy.Name, out var columns))
            {
                problems.Add($"{what} does not exist");
                continue;
            }

            if (!columns.TryGetValue(legacy.KeyColumn, out var key))
            {
                problems.Add($"{what} has no key column {legacy.KeyColumn}");
            }
            else if (key.DataType is not ("bigint" or "int" or "mediumint" or "smallint" or "tinyint"))
            {
                problems.Add($"{what}: key column {legacy.KeyColumn} is {key.DataType.ToUpperInvariant()}; it must be an integer");
            }
            else if (i == 0 && !key.Extra.Contains("auto_increment", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"{what}: key column {legacy.KeyColumn} is not AUTO_INCREMENT; the legacy order key must be, so orders made on the shards get one when they are written back");
            }

            foreach (var column in Columns[i])
            {
                var name = legacy.ColumnOf(column);
                var isVersion = i == 0 && column.Equals(Tables.Model.Root.VersionColumn, StringComparison.OrdinalIgnoreCase);
                if (!columns.ContainsKey(name) && !isVersion)
                {
                    problems.Add(name.Equals(column, StringComparison.OrdinalIgnoreCase)
                        ? $"{what} has no column {name}, which the shards' {legacy.Table.Name} has (map it in ShardKit:LegacyTables Columns if it is named differently)"
                        : $"{what} has no column {name} (mapped from {legacy.Table.Name}.{column})");
                }
            }
        }

        // Every legacy key must fit an order ID (LegacyOrderIds): refused now rather than in the middle of the backfill.
        if (problems.Count == 0)
        {
            var highest = await connection.ExecuteScalarAsync<long>(new CommandDefinition(HighestKey, cancellationToken: cancellationToken)).ConfigureAwait(false);
            var lowest = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(Sql($"SELECT MIN({Key}) FROM {{root}}"), cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var key in new[] { lowest, highest }.OfType<long>().Where(k => k != 0).Distinct())
            {
                try
                {
                    LegacyOrderIds.Derive(Map, key, 1, 1);
                }
                catch (InvalidOperationException ex)
                {
                    problems.Add($"legacy table {Database}.{Tables.Root.Name}: {ex.Message}");
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// Checks the shards' side of the copy (a user shard's <c>information_schema</c>, nothing written): no copied column may be
    /// <c>AUTO_INCREMENT</c> there. Its values come from the legacy table and go back there in the reverse flow, while each
    /// shard's counter hands out its own: the two would collide. Returns every problem, naming the table and column.
    /// </summary>
    public async Task<List<string>> CheckShardsAsync(ShardKitDataSource dataSource, CancellationToken cancellationToken)
    {
        var route = dataSource.Map.GetRoute(ShardDimension.User, 0);
        var shard = await dataSource.OpenAsync(route, ShardIntent.Write, cancellationToken).ConfigureAwait(false);
        await using (shard.ConfigureAwait(false))
        {
            var counted = await shard.Connection.QueryAsync<(string Table, string Column)>(new CommandDefinition(
                "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = @Schema AND TABLE_NAME IN @Tables AND EXTRA LIKE '%auto_increment%'",
                new { Schema = route.Schema, Tables = Tables.Tables.Select(t => t.Table.Name).ToArray() },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
            return counted
                .Where(c => Tables.Tables.Select((t, i) => (t, i)).Any(x => x.t.Table.Name.Equals(c.Table, StringComparison.OrdinalIgnoreCase) && Columns[x.i].Contains(c.Column, StringComparer.OrdinalIgnoreCase)))
                .Select(c => $"the shards' {c.Table}.{c.Column} is AUTO_INCREMENT: its values are copied from the legacy table and back, and each shard's counter would hand out values the legacy side already has; key the rows by the order ID and a number of their own instead")
                .ToList();
        }
    }

    /// <summary>Adds the migration's columns and tables to the legacy schema and one fence row per bucket (idempotent).</summary>
    public async Task PrepareAsync(DbConnection connection, int buckets, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            Sql($"ALTER TABLE {{root}} ADD COLUMN IF NOT EXISTS {VersionColumn} BIGINT NOT NULL DEFAULT 1"), cancellationToken: cancellationToken)).ConfigureAwait(false);
        // The bucket is a generated column (virtual, indexed): every row has it, old or new, with nothing written to the rows.
        await connection.ExecuteAsync(new CommandDefinition(
            Sql($"ALTER TABLE {{root}} ADD COLUMN IF NOT EXISTS shardkit_bucket SMALLINT AS ({LegacyCapture.BucketOf(UserColumn, buckets)}) VIRTUAL"),
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            Sql($"CREATE INDEX IF NOT EXISTS ix_shardkit_bucket ON {{root}} (shardkit_bucket, {Key})"), cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var statement in s_prepare)
        {
            await connection.ExecuteAsync(new CommandDefinition(Sql(statement), cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            Sql("INSERT IGNORE INTO {schema}.`shardkit_fence` (bucket, authority, capture, epoch) VALUES (@Bucket, 'source', 0, 0)"),
            Enumerable.Range(0, buckets).Select(b => new { Bucket = b }).ToList(),
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var statement in LegacyCapture.CreateTriggers(this, buckets))
        {
            await connection.ExecuteAsync(new CommandDefinition(statement, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The keys of the legacy orders <paramref name="legacyIds"/> names, live or deleted (their tombstones), with the ShardKit ID
    /// each has recorded (null when none yet).
    /// </summary>
    public async Task<List<(LegacyRowKey Key, bool Deleted)>> ReadKeysAsync(DbConnection connection, IReadOnlyList<long> legacyIds, CancellationToken cancellationToken)
    {
        var keys = await connection.QueryAsync<(long LegacyId, long UserId, long MerchantId, long? OrderId, bool Deleted)>(new CommandDefinition(
            Sql($$"""
                SELECT {{Key}}, {{UserColumn}}, {{MerchantColumn}}, shardkit_order_id, 0 FROM {root} WHERE {{Key}} IN @Ids
                UNION ALL
                SELECT t.legacy_id, t.user_id, t.merchant_id, t.order_id, 1 FROM {schema}.`shardkit_tombstones` t
                WHERE t.legacy_id IN @Ids AND NOT EXISTS (SELECT 1 FROM {root} o WHERE o.{{Key}} = t.legacy_id)
                """),
            new { Ids = legacyIds.ToArray() },
            cancellationToken: cancellationToken)).ConfigureAwait(false);
        return keys.Select(k => (new LegacyRowKey(k.LegacyId, k.UserId, k.MerchantId, k.OrderId), k.Deleted)).ToList();
    }

    /// <summary>Reads a bucket's fence row under a shared (writers) or exclusive (cutover) lock; null when the fence table or row is missing.</summary>
    public async Task<FenceState?> ReadFenceAsync(DbConnection connection, DbTransaction transaction, int bucket, bool exclusive, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(string Authority, bool Capture, int Epoch)?>(new CommandDefinition(
            exclusive ? FenceExclusive : FenceShared, new { Bucket = bucket }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return row is { } r ? new FenceState(FenceState.Parse(r.Authority), r.Capture, r.Epoch) : null;
    }

    /// <summary>
    /// One chunk of the history: the orders with legacy keys in (<paramref name="cursor"/>, <paramref name="until"/>], at most
    /// <paramref name="limit"/>, in key order, with their child rows (by key range), in one snapshot of <paramref name="transaction"/>.
    /// </summary>
    public async Task<List<LegacyOrder>> ReadChunkAsync(DbConnection connection, DbTransaction transaction, long cursor, long until, int limit, CancellationToken cancellationToken)
    {
        var texts = Loaded;
        var read = new Read();
        await ReadAsync(connection, transaction, texts.ChunkRoots, new { Cursor = cursor, Until = until, Limit = limit }, read, cancellationToken).ConfigureAwait(false);
        if (read.Orders.Count > 0 && Columns.Count > 1)
        {
            await ReadAsync(connection, transaction, texts.ChunkChildren, new { Cursor = cursor, Last = read.Orders[^1].LegacyId }, read, cancellationToken).ConfigureAwait(false);
        }

        return read.Orders;
    }

    /// <summary>
    /// The current state of an order on the source: its rows, or its tombstone (<see cref="UserSideState.Deleted"/>), or null
    /// when the source has no trace of it. With <paramref name="locking"/> the rows are read under shared locks.
    /// </summary>
    public async Task<(UserSideState State, long LegacyId)?> ReadStateAsync(DbConnection connection, DbTransaction transaction, OrderId orderId, bool locking, CancellationToken cancellationToken)
    {
        var states = await ReadStatesAsync(connection, transaction, [orderId], locking, cancellationToken).ConfigureAwait(false);
        return states.Count == 0 ? null : states[0];
    }

    /// <summary>
    /// The current state of many orders in one round trip (one snapshot of <paramref name="transaction"/>): their rows, or
    /// their tombstones; orders the source has no trace of are left out. With <paramref name="locking"/> under shared locks.
    /// </summary>
    public async Task<List<(UserSideState State, long LegacyId)>> ReadStatesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<OrderId> orderIds, bool locking, CancellationToken cancellationToken)
    {
        var states = new List<(UserSideState, long)>(orderIds.Count);
        if (orderIds.Count == 0)
        {
            return states;
        }

        // An order is found by the ID it carries, or (an ID derived from its legacy key) by that key; a row found by the key
        // whose user or merchant no longer gives that ID is another order's.
        var texts = Loaded;
        var wanted = orderIds.Select(o => o.Value).ToHashSet();
        var read = new Read();
        await ReadAsync(
            connection, transaction, locking ? texts.ByIdsLocking : texts.ByIds, new { Ids = wanted.ToArray(), Keys = KeysOrNone(orderIds) }, read, cancellationToken).ConfigureAwait(false);
        var live = new HashSet<long>();
        foreach (var order in read.Orders)
        {
            var id = IdOf(order.Key);
            if (wanted.Contains(id.Value))
            {
                states.Add((order.ToState(id), order.LegacyId));
                live.Add(id.Value);
            }
        }

        // A live row wins over a tombstone of the same ID (an ID is never reused, so both cannot be current).
        states.AddRange(read.Tombstones.Where(t => wanted.Contains(t.Tombstone.OrderId) && !live.Contains(t.Tombstone.OrderId)).Select(t => (new UserSideState(t.Tombstone), t.LegacyId)));
        return states;
    }

    /// <summary>
    /// The legacy keys of the derived IDs among <paramref name="ids"/>, or a key no order has (keys are positive) when there are
    /// none: an empty list would be sent as <c>IN (SELECT NULL WHERE 1 = 0)</c>, which the server evaluates row by row over
    /// the whole table.
    /// </summary>
    private static long[] KeysOrNone(IEnumerable<OrderId> ids) => LegacyOrderIds.KeysOf(ids) is { Length: > 0 } keys ? keys : [-1];

    /// <summary>Reads the result sets of <paramref name="text"/> (one round trip) into <paramref name="read"/>.</summary>
    private async Task ReadAsync(DbConnection connection, DbTransaction transaction, ReadText text, object parameters, Read read, CancellationToken cancellationToken)
    {
        var texts = Loaded;
        var reader = await connection.ExecuteReaderAsync(new CommandDefinition(text.Sql, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            for (var set = 0; set < text.Sets.Count; set++)
            {
                if (set > 0)
                {
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                }

                var (kind, table, derived) = text.Sets[set];
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (kind == SetKind.Tombstone)
                    {
                        var key = new LegacyRowKey(reader.GetInt64(0), reader.GetInt64(2), reader.GetInt64(3), reader.IsDBNull(1) ? null : reader.GetInt64(1));
                        read.Tombstones.Add((new Tombstone(IdOf(key).Value, key.UserId, key.MerchantId, reader.GetDateTime(4), reader.GetDateTime(5), reader.GetInt64(6)), key.LegacyId));
                        continue;
                    }

                    // The row as the shards hold it: slot 0 is the order-ID column, filled by ToState.
                    var skip = kind == SetKind.Root ? 2 : 1;
                    var values = new object?[reader.FieldCount - skip + 1];
                    for (var i = 1; i < values.Length; i++)
                    {
                        values[i] = SqlLiteral.Read(reader, i - 1 + skip);
                    }

                    if (kind == SetKind.Root)
                    {
                        var order = new LegacyOrder(
                            this,
                            reader.GetInt64(0),
                            reader.IsDBNull(1) ? null : reader.GetInt64(1),
                            Convert.ToInt64(values[texts.UserAt + 1], CultureInfo.InvariantCulture),
                            Convert.ToInt64(values[texts.MerchantAt + 1], CultureInfo.InvariantCulture),
                            Convert.ToInt64(values[texts.VersionAt + 1], CultureInfo.InvariantCulture),
                            values,
                            Columns.Count - 1);
                        read.Orders.Add(order);
                        read.ByKey[order.LegacyId] = order;
                    }
                    else if (read.ByKey.TryGetValue(reader.GetInt64(0), out var order) && (derived is null || derived == (order.OrderId is null)))
                    {
                        // A child row read by key belongs to the order found by that key (one carrying an ID of its own is
                        // read by its ID, in another result).
                        order.Children[table - 1].Add(values);
                    }
                }
            }

            while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false))
            {
            }
        }
    }

    /// <summary>
    /// The condition that finds the legacy root row of <paramref name="id"/> (over <paramref name="alias"/>, or the bare
    /// table): the row carrying it, or, for an ID derived from a legacy key, the row of that key (<c>@Key</c>) carrying none.
    /// One condition, so the server uses the one index it needs (a row lock takes only that row).
    /// </summary>
    public string WhereOrder(OrderId id, string? alias = null)
    {
        var prefix = alias is null ? "" : alias + ".";
        return LegacyOrderIds.KeyOf(id) is null
            ? $"{prefix}`shardkit_order_id` = @OrderId"
            : $"{prefix}{Key} = @Key AND ({prefix}`shardkit_order_id` IS NULL OR {prefix}`shardkit_order_id` = @OrderId)";
    }

    /// <summary>The condition that finds the tombstone of <paramref name="id"/>, as <see cref="WhereOrder"/>.</summary>
    public static string WhereTombstone(OrderId id) =>
        LegacyOrderIds.KeyOf(id) is null ? "order_id = @OrderId" : "legacy_id = @Key AND (order_id IS NULL OR order_id = @OrderId)";

    /// <summary>A legacy order's ShardKit ID: its own, or the one derived from its legacy key (<see cref="LegacyOrderIds.Of"/>).</summary>
    public OrderId IdOf(LegacyRowKey key) => LegacyOrderIds.Of(Map, key);

    private static string Quote(string name) => "`" + name.Replace("`", "``", StringComparison.Ordinal) + "`";

    /// <summary>The texts that depend on the declared tables' columns, built once they are known.</summary>
    private sealed class Texts
    {
        public Texts(LegacySource source, IReadOnlyList<TableShape> shapes)
        {
            var tables = source.Tables;
            var model = tables.Model;
            Plan = MerchantCopyPlan.UserSide(model, shapes);
            Columns = tables.Tables.Select((t, i) => shapes[i].Columns
                .Where(c => !c.IsGenerated && !c.Name.Equals(t.Table.OrderIdColumn, StringComparison.OrdinalIgnoreCase))
                .Select(c => c.Name).ToArray()).ToList();
            RowColumns = tables.Tables.Select((t, i) => (string[])[t.Table.OrderIdColumn, .. Columns[i]]).ToList();
            var root = Columns[0];
            UserAt = Array.FindIndex(root, c => c.Equals(model.Root.UserIdColumn, StringComparison.OrdinalIgnoreCase));
            MerchantAt = Array.FindIndex(root, c => c.Equals(model.Root.MerchantIdColumn, StringComparison.OrdinalIgnoreCase));
            VersionAt = Array.FindIndex(root, c => c.Equals(model.Root.VersionColumn, StringComparison.OrdinalIgnoreCase));
            if (UserAt < 0 || MerchantAt < 0 || VersionAt < 0)
            {
                throw new InvalidOperationException($"The shards' {model.Root.Name} lacks a key column; check the declared tables with shardkit topology validate.");
            }

            var names = new SqlNames(source.TableOf, (table, column) =>
            {
                var legacy = tables.Tables.First(t => ReferenceEquals(t.Table, table));
                return column.Equals(table.OrderIdColumn, StringComparison.OrdinalIgnoreCase) ? legacy.KeyColumn : legacy.ColumnOf(column);
            });
            var orderId = $"COALESCE(o.`shardkit_order_id`, {LegacyOrderIds.Sql(source.Map, "o." + source.Key, "o." + source.UserColumn, "o." + source.MerchantColumn)})";
            var canonical = new CanonicalRow(Plan, orderId: orderId, childKey: "o." + source.Key, names: names);
            var target = new CanonicalRow(Plan);
            TargetAggregate = target.Aggregate;
            TargetRows = target.Rows;
            Aggregate = source.Sql(canonical.Aggregate + " WHERE o.shardkit_bucket = @Bucket");

            Rows = source.Sql(canonical.Rows + " WHERE o.shardkit_bucket = @Bucket");

            // The root rows of an order ID are found by the ID they carry, or (derived IDs) by the legacy key, in two statements
            // (each uses its index: one OR would scan the table); child rows and tombstones alike.
            var key = "o." + source.Key;
            var own = "o.`shardkit_order_id` IN @Ids";
            var derived = $"{key} IN @Keys AND o.`shardkit_order_id` IS NULL";
            ChunkRoots = Build(source, [($"{key} > @Cursor AND {key} <= @Until ORDER BY {key} LIMIT @Limit", null)], [], tombstones: false, suffix: "");
            ChunkChildren = Build(source, [], [(c => $"c.{c} > @Cursor AND c.{c} <= @Last", null)], tombstones: false, suffix: "");
            (string, bool?)[] roots = [(own, false), (derived, true)];
            (Func<string, string>, bool?)[] children = [(c => $"c.{c} IN (SELECT {key} FROM {{root}} o WHERE {own})", false), (c => $"c.{c} IN @Keys", true)];
            ByIds = Build(source, roots, children, tombstones: true, suffix: "");
            ByIdsLocking = Build(source, roots, children, tombstones: true, suffix: " LOCK IN SHARE MODE");
        }

        public MerchantCopyPlan Plan { get; }

        public IReadOnlyList<string[]> Columns { get; }

        /// <summary>Per table, the columns of a row as read (the order-ID column first, then <see cref="Columns"/>); one array each, shared by every row.</summary>
        public IReadOnlyList<string[]> RowColumns { get; }

        public int UserAt { get; }

        public int MerchantAt { get; }

        public int VersionAt { get; }

        public string Aggregate { get; }

        public string TargetAggregate { get; }

        public string TargetRows { get; }

        public string Rows { get; }

        /// <summary>Root rows with keys in (<c>@Cursor</c>, <c>@Until</c>], at most <c>@Limit</c>, in key order.</summary>
        public ReadText ChunkRoots { get; }

        /// <summary>The child rows of the legacy keys in (<c>@Cursor</c>, <c>@Last</c>].</summary>
        public ReadText ChunkChildren { get; }

        /// <summary>Root rows, child rows and tombstones of the ShardKit IDs <c>@Ids</c> (derived ones also by their keys, <c>@Keys</c>).</summary>
        public ReadText ByIds { get; }

        public ReadText ByIdsLocking { get; }

        /// <summary>
        /// A read of orders, one statement per result: root rows (legacy key, recorded ShardKit ID, then the copied columns
        /// under their declared names), child rows (legacy key, then the copied columns), tombstones. Each condition is marked
        /// with the orders it finds: those that carry their own ID (false), those found by their key (true), or any (null).
        /// </summary>
        private ReadText Build(LegacySource source, (string Where, bool? Derived)[] roots, (Func<string, string> Where, bool? Derived)[] children, bool tombstones, string suffix)
        {
            var sql = new StringBuilder();
            var sets = new List<(SetKind, int, bool?)>();
            var root = source.Tables.Root;
            foreach (var (where, derived) in roots)
            {
                sql.Append("SELECT o.").Append(source.Key).Append(" AS ").Append(KeyAlias).Append(", o.`shardkit_order_id` AS ").Append(IdAlias);
                foreach (var column in Columns[0])
                {
                    sql.Append(", o.").Append(Quote(root.ColumnOf(column))).Append(" AS ").Append(Quote(column));
                }

                sql.Append(" FROM {root} o WHERE ").Append(where).Append(suffix).Append(";\n");
                sets.Add((SetKind.Root, 0, derived));
            }

            for (var t = 1; t < source.Tables.Tables.Count; t++)
            {
                var child = source.Tables.Tables[t];
                foreach (var (where, derived) in children)
                {
                    sql.Append("SELECT c.").Append(Quote(child.KeyColumn)).Append(" AS ").Append(KeyAlias);
                    foreach (var column in Columns[t])
                    {
                        sql.Append(", c.").Append(Quote(child.ColumnOf(column))).Append(" AS ").Append(Quote(column));
                    }

                    sql.Append(" FROM ").Append(child.Table.Placeholder).Append(" c WHERE ").Append(where(Quote(child.KeyColumn))).Append(suffix).Append(";\n");
                    sets.Add((SetKind.Child, t, derived));
                }
            }

            if (tombstones)
            {
                foreach (var where in new[] { "order_id IN @Ids", "legacy_id IN @Keys AND order_id IS NULL" })
                {
                    sql.Append("SELECT ").Append(TombstoneColumns).Append(" FROM {schema}.`shardkit_tombstones` WHERE ").Append(where).Append(suffix).Append(";\n");
                    sets.Add((SetKind.Tombstone, 0, null));
                }
            }

            return new ReadText(source.Sql(sql.ToString()), sets);
        }
    }

    /// <summary>A multi-statement read and what each of its results holds (kind, child table position, which orders).</summary>
    private sealed record ReadText(string Sql, IReadOnlyList<(SetKind Kind, int Table, bool? Derived)> Sets);

    private enum SetKind
    {
        Root,
        Child,
        Tombstone,
    }

    /// <summary>What a read found.</summary>
    private sealed class Read
    {
        public List<LegacyOrder> Orders { get; } = [];

        public Dictionary<long, LegacyOrder> ByKey { get; } = [];

        public List<(Tombstone Tombstone, long LegacyId)> Tombstones { get; } = [];
    }
}

/// <summary>
/// One legacy order as read: its legacy key, the ShardKit ID recorded on it (if any), its keys, and the copied columns'
/// values of its root row and its child rows (each with an empty first slot for the order-ID column: <see cref="ToState"/> puts the ShardKit ID there).
/// </summary>
internal sealed class LegacyOrder
{
    private readonly LegacySource _source;
    private readonly object?[] _root;

    public LegacyOrder(LegacySource source, long legacyId, long? orderId, long userId, long merchantId, long version, object?[] root, int children)
    {
        _source = source;
        LegacyId = legacyId;
        OrderId = orderId;
        UserId = userId;
        MerchantId = merchantId;
        Version = version;
        _root = root;
        Children = Enumerable.Range(0, children).Select(_ => new List<object?[]>()).ToArray();
    }

    public long LegacyId { get; }

    public long? OrderId { get; }

    public long UserId { get; }

    public long MerchantId { get; }

    public long Version { get; }

    /// <summary>The rows of each child table (declaration order); slot 0 of each is the order-ID column, filled by <see cref="ToState"/>.</summary>
    public List<object?[]>[] Children { get; }

    public LegacyRowKey Key => new(LegacyId, UserId, MerchantId, OrderId);

    /// <summary>
    /// The order as the declared tables' rows, under the ShardKit ID <paramref name="id"/>: the rows as read, their order-ID
    /// slot set (no copy; an order is read for one state), with the columns every row of the table shares.
    /// </summary>
    public UserSideState ToState(Ids.OrderId id)
    {
        var tables = _source.Tables.Tables;
        var columns = _source.RowColumns;
        object boxed = id.Value;
        _root[0] = boxed;
        var root = new TableRows(tables[0].Table, columns[0], [_root]);
        var children = new List<TableRows>(Children.Length);
        for (var c = 0; c < Children.Length; c++)
        {
            foreach (var row in Children[c])
            {
                row[0] = boxed;
            }

            children.Add(new TableRows(tables[c + 1].Table, columns[c + 1], Children[c]));
        }

        return new UserSideState(id, UserId, MerchantId, Version, root, children);
    }
}

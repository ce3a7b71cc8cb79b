namespace ShardKit.Orders;

/// <summary>
/// The rows of one declared table that belong to one order, all with the same columns (spelt as the server spells them;
/// the order-ID column, and on the root table the user-ID, merchant-ID and version columns, included).
/// </summary>
internal sealed class TableRows
{
    public TableRows(DeclaredTable table, string[] columns, List<object?[]> rows)
    {
        Table = table;
        Columns = columns;
        Rows = rows;
    }

    public DeclaredTable Table { get; }

    public string[] Columns { get; }

    public List<object?[]> Rows { get; }

    /// <summary>The position of <paramref name="column"/> in <see cref="Columns"/> (case-insensitive), or -1.</summary>
    public int IndexOf(string column)
    {
        for (var i = 0; i < Columns.Length; i++)
        {
            if (Columns[i].Equals(column, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The rows as dictionaries (case-insensitive column names).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, object?>> ToDictionaries() =>
        Rows.Select(row => (IReadOnlyDictionary<string, object?>)ToDictionary(row)).ToList();

    public Dictionary<string, object?> ToDictionary(object?[] row)
    {
        var values = new Dictionary<string, object?>(Columns.Length, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Columns.Length; i++)
        {
            values[Columns[i]] = row[i];
        }

        return values;
    }
}

/// <summary>
/// The authoritative state of one order on its user side, as the merchant copy is written from it: the live order (its root
/// row and the rows of its child tables) or its tombstone. The store's writes build it from what they hold, the relay and
/// repairs read it; the merchant copy keeps of it what the table model says (<see cref="MerchantCopyPlan"/>).
/// </summary>
internal sealed class UserSideState
{
    private OrderRecord? _record;

    /// <summary>A live order.</summary>
    public UserSideState(OrderId id, long userId, long merchantId, long version, TableRows root, IReadOnlyList<TableRows> children)
    {
        Id = id;
        UserId = userId;
        MerchantId = merchantId;
        Version = version;
        Root = root;
        Children = children;
    }

    /// <summary>A deleted order.</summary>
    public UserSideState(Tombstone tombstone)
    {
        Id = OrderId.FromValidatedValue(tombstone.OrderId);
        UserId = tombstone.UserId;
        MerchantId = tombstone.MerchantId;
        Version = tombstone.Version;
        Tombstone = tombstone;
        Children = [];
    }

    /// <summary>An order of ShardKit's built-in schema (the typed <see cref="OrderRecord"/> API and the legacy migration).</summary>
    public UserSideState(OrderRecord order, bool deleted)
    {
        Id = order.Id;
        UserId = order.UserId;
        MerchantId = order.MerchantId;
        Version = order.Version;
        _record = order;
        if (deleted)
        {
            Tombstone = new Tombstone(order.Id.Value, order.UserId, order.MerchantId, order.CreatedAt.UtcDateTime, order.UpdatedAt.UtcDateTime, order.Version);
            Children = [];
        }
        else
        {
            (Root, Children) = BuiltInRows.Of(order);
        }
    }

    public OrderId Id { get; }

    public long UserId { get; }

    public long MerchantId { get; }

    public long Version { get; }

    /// <summary>The root row (null for a deleted order).</summary>
    public TableRows? Root { get; }

    /// <summary>The rows of each child table written or read with the order (empty for a deleted order).</summary>
    public IReadOnlyList<TableRows> Children { get; }

    /// <summary>The tombstone of a deleted order.</summary>
    public Tombstone? Tombstone { get; }

    public bool Deleted => Tombstone is not null;

    /// <summary>The state as a built-in <see cref="OrderRecord"/> (built-in schema only).</summary>
    public OrderRecord Order => _record ??= Deleted
        ? new OrderRecord
        {
            Id = Id,
            UserId = UserId,
            MerchantId = MerchantId,
            Status = "",
            TotalAmount = 0m,
            Currency = "",
            CreatedAt = OrderReader.Utc(Tombstone!.Value.CreatedAt),
            UpdatedAt = OrderReader.Utc(Tombstone.Value.DeletedAt),
            Version = Version,
        }
        : BuiltInRows.ToRecord(Root!, Children, causalToken: null);
}

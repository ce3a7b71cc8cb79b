namespace ShardKit.Tables;

/// <summary>One table of a compiled <see cref="TableModel"/>: its name, role, key columns and merchant copy.</summary>
public sealed class DeclaredTable
{
    internal DeclaredTable(string name, TableRole role, string orderIdColumn, string? userIdColumn, string? merchantIdColumn, string? versionColumn, MerchantCopy merchantCopy, IReadOnlyList<string> merchantColumns)
    {
        Name = name;
        Role = role;
        OrderIdColumn = orderIdColumn;
        UserIdColumn = userIdColumn;
        MerchantIdColumn = merchantIdColumn;
        VersionColumn = versionColumn;
        MerchantCopy = merchantCopy;
        MerchantColumns = merchantColumns;
        Placeholder = "{" + name + "}";
    }

    /// <summary>The table's name in every shard's schema.</summary>
    public string Name { get; }

    /// <summary>Root or child.</summary>
    public TableRole Role { get; }

    /// <summary>The column holding the ShardKit order ID.</summary>
    public string OrderIdColumn { get; }

    /// <summary>The user-ID column (the root table only).</summary>
    public string? UserIdColumn { get; }

    /// <summary>The merchant-ID column (the root table only).</summary>
    public string? MerchantIdColumn { get; }

    /// <summary>The version column (the root table only).</summary>
    public string? VersionColumn { get; }

    /// <summary>What the merchant dimension keeps of the table.</summary>
    public MerchantCopy MerchantCopy { get; }

    /// <summary>With <see cref="MerchantCopy.Columns"/>: the columns the merchant copy keeps, key columns included; otherwise empty.</summary>
    public IReadOnlyList<string> MerchantColumns { get; }

    /// <summary>The routed-SQL placeholder of the table, <c>{name}</c>, which a shard connection expands to its schema's table.</summary>
    public string Placeholder { get; }

    /// <summary>Whether <paramref name="dimension"/>'s shards hold the table.</summary>
    public bool IsIn(ShardDimension dimension) => dimension == ShardDimension.User || MerchantCopy != MerchantCopy.None;

    /// <summary>The key columns the model relies on, with the types they must have.</summary>
    internal IEnumerable<(string Column, string Purpose)> KeyColumns()
    {
        yield return (OrderIdColumn, "order ID");
        if (UserIdColumn is not null)
        {
            yield return (UserIdColumn, "user ID");
        }

        if (MerchantIdColumn is not null)
        {
            yield return (MerchantIdColumn, "merchant ID");
        }

        if (VersionColumn is not null)
        {
            yield return (VersionColumn, "version");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

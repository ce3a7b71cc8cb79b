namespace ShardKit.Orders;

/// <summary>
/// What the merchant copy keeps of each declared table, as the merchant shards describe them: with
/// <see cref="MerchantCopy.All"/> every column the merchant table has that the server does not compute, with
/// <see cref="MerchantCopy.Columns"/> the declared projection; tables with <see cref="MerchantCopy.None"/> are not there.
/// </summary>
internal sealed class MerchantCopyPlan
{
    private static MerchantCopyPlan? s_last;

    internal MerchantCopyPlan(TableModel model, IReadOnlyList<TableShape> shapes)
    {
        Model = model;
        Shapes = shapes;
        Tables = model.In(ShardDimension.Merchant)
            .Select((table, i) => (table, new HashSet<string>(
                table.MerchantCopy == MerchantCopy.Columns
                    ? table.MerchantColumns
                    : shapes[i].Columns.Where(c => !c.IsGenerated).Select(c => c.Name),
                StringComparer.OrdinalIgnoreCase)))
            .ToList();
    }

    private MerchantCopyPlan(TableModel model, IReadOnlyList<TableShape> shapes, IReadOnlyList<(DeclaredTable Table, HashSet<string> Columns)> tables)
    {
        Model = model;
        Shapes = shapes;
        Tables = tables;
    }

    /// <summary>
    /// Everything the user dimension holds of an order: every table of the user dimension (root first) with every column
    /// the server does not compute, as <paramref name="userShapes"/> (in <see cref="TableModel.In"/> order) describe them. The
    /// legacy import compares its source with the user shards on this.
    /// </summary>
    public static MerchantCopyPlan UserSide(TableModel model, IReadOnlyList<TableShape> userShapes) =>
        new(model, userShapes, model.In(ShardDimension.User)
            .Select((table, i) => (table, new HashSet<string>(userShapes[i].Columns.Where(c => !c.IsGenerated).Select(c => c.Name), StringComparer.OrdinalIgnoreCase)))
            .ToList());

    /// <summary>The plan of the built-in schema (<see cref="TableModel.BuiltIn"/>: both tables copied whole), known without a read.</summary>
    public static MerchantCopyPlan BuiltIn { get; } = new(TableModel.BuiltIn, TableShapes.BuiltIn);

    public TableModel Model { get; }

    /// <summary>The merchant dimension's tables (root first) with the columns their copy keeps.</summary>
    public IReadOnlyList<(DeclaredTable Table, HashSet<string> Columns)> Tables { get; }

    private IReadOnlyList<TableShape> Shapes { get; }

    /// <summary>The columns <paramref name="table"/>'s copy keeps, or null when the merchant dimension does not hold it.</summary>
    public HashSet<string>? ColumnsOf(DeclaredTable table)
    {
        foreach (var (t, columns) in Tables)
        {
            if (ReferenceEquals(t, table) || t.Name.Equals(table.Name, StringComparison.OrdinalIgnoreCase))
            {
                return columns;
            }
        }

        return null;
    }

    /// <summary>
    /// The plan for the data source's current model, the shapes read through <paramref name="merchantShard"/> when not cached,
    /// or when <paramref name="states"/> carry a column the cached shape lacks (a column added since: it is copied at once).
    /// </summary>
    public static async ValueTask<MerchantCopyPlan> GetAsync(ShardKitDataSource dataSource, ShardConnection merchantShard, IReadOnlyList<UserSideState>? states, CancellationToken cancellationToken)
    {
        var model = dataSource.Map.Tables;
        if (!model.IsDeclared)
        {
            // ShardKit's own DDL: the shapes are known, and the rows the store and the relay write are its columns.
            return BuiltIn;
        }

        var tables = model.In(ShardDimension.Merchant).ToList();
        var shapes = new TableShape[tables.Count];
        for (var i = 0; i < tables.Count; i++)
        {
            var table = tables[i];
            var named = states?.SelectMany(s => i == 0
                ? s.Root?.Columns ?? []
                : s.Children.Where(c => c.Table.Name.Equals(table.Name, StringComparison.OrdinalIgnoreCase)).SelectMany(c => c.Columns));
            var all = table.MerchantCopy == MerchantCopy.All;
            shapes[i] = await dataSource.Shapes.GetAsync(merchantShard, table, all ? named : null, cancellationToken).ConfigureAwait(false);
            if (all && named?.FirstOrDefault(c => !shapes[i].Has(c)) is { } missing)
            {
                // Never a copy without a value the user side holds: the copy fails (the relay retries it once the shape is read again).
                throw new InvalidOperationException(
                    $"The merchant table {table.Name} on {merchantShard.Route.Name} has no column {missing}, which the user side has; " +
                    "apply the DDL to the merchant dimension as well (merchant first, then user). The copy is left to the relay.");
            }
        }

        // Built once per set of shapes (the shapes are cached objects, so the same ones come back until they are read again).
        var last = s_last;
        if (last is not null && ReferenceEquals(last.Model, model) && last.Shapes.Count == shapes.Length && last.Shapes.Select((s, i) => ReferenceEquals(s, shapes[i])).All(b => b))
        {
            return last;
        }

        var plan = new MerchantCopyPlan(model, shapes);
        s_last = plan;
        return plan;
    }
}

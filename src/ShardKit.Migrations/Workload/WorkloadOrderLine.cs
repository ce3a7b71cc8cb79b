namespace ShardKit.Migrations.Workload;

/// <summary>One line of a <see cref="WorkloadOrder"/>.</summary>
/// <param name="Sku">The product code.</param>
/// <param name="Quantity">How many (1 to 5 in the workload).</param>
/// <param name="UnitPrice">The price of one, with 2 decimals.</param>
internal sealed record WorkloadOrderLine(string Sku, int Quantity, decimal UnitPrice);

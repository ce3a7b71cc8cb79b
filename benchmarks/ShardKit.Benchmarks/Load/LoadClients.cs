namespace ShardKit.Benchmarks.Load;

/// <summary>The clients the load tool runs against the same server at each worker count.</summary>
internal static class LoadClients
{
    /// <summary>ShardKit.MySqlClient, each query on a connection rented from the pool and returned (reset) after it: how services use it.</summary>
    public const string ShardKitPooled = "ShardKit, pooled open per query";

    /// <summary>
    /// As <see cref="ShardKitPooled"/> with <c>Connection Reset=false</c>: the pool hands sessions back without
    /// COM_RESET_CONNECTION. Not a recommended setting (session state would survive); shown to isolate the reset's cost.
    /// </summary>
    public const string ShardKitPooledNoReset = "ShardKit, pooled, Connection Reset=false";

    /// <summary>ShardKit.MySqlClient, each worker holding one pooled connection for the whole run: what sysbench does.</summary>
    public const string ShardKitHeld = "ShardKit, connection held";

    /// <summary>sysbench with <c>--db-ps-mode=disable</c>: text protocol, the same protocol ShardKit.MySqlClient uses.</summary>
    public const string SysbenchText = "sysbench, text protocol";

    /// <summary>sysbench's default: server-side prepared statements (binary protocol).</summary>
    public const string SysbenchPrepared = "sysbench, prepared statements";
}

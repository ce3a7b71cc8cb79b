namespace ShardKit.Migrations.Workload;

/// <summary>The operations of the order workload.</summary>
internal enum WorkloadOperation
{
    /// <summary>Create an order (with 1 to 3 items) for a random user and merchant.</summary>
    Create,

    /// <summary>Read back an order created earlier in the run, by order ID.</summary>
    Get,

    /// <summary>List the newest orders of a user who ordered earlier in the run.</summary>
    List,

    /// <summary>List the first page of the newest orders of a merchant ordered from earlier in the run, from the merchant copy.</summary>
    MerchantList,
}

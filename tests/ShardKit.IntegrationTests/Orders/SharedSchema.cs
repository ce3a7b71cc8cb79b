namespace ShardKit.IntegrationTests.Orders;

/// <summary>Applies the two-dimension schema to the shared topology once per test run.</summary>
internal static class SharedSchema
{
    private static readonly SemaphoreSlim s_lock = new(1, 1);
    private static bool s_done;

    public static async Task EnsureAsync(TwoDimensionOrderStore store)
    {
        await s_lock.WaitAsync();
        try
        {
            if (!s_done)
            {
                await store.EnsureSchemaAsync();
                s_done = true;
            }
        }
        finally
        {
            s_lock.Release();
        }
    }
}

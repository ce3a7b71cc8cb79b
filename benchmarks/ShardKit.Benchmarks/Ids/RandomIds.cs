namespace ShardKit.Benchmarks.Ids;

/// <summary>A cheap xorshift64 stream of random positive user and merchant IDs for the generation benchmarks.</summary>
internal static class RandomIds
{
    public static ulong Next(ulong state)
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }

    /// <summary>A user ID from 1 to 2^30 taken from the high bits of <paramref name="state"/>.</summary>
    public static long User(ulong state) => (long)(state >> 34) + 1;

    /// <summary>A merchant ID from 1 to 2^30 taken from the low bits of <paramref name="state"/>.</summary>
    public static long Merchant(ulong state) => (long)(state & 0x3FFF_FFFF) + 1;
}

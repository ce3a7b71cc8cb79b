namespace ShardKit.Ids;

/// <summary>
/// The frozen bit layout of a ShardKit order ID (see docs/order-ids.md). Most significant first, after the
/// always-zero sign bit: 38 bits time (10 ms ticks since 2025-01-01T00:00:00Z), 8 bits worker ID,
/// 3 bits sequence, 7 bits user-shard gene, 7 bits merchant-shard gene.
/// </summary>
internal static class OrderIdLayout
{
    public const int MerchantGeneBits = 7;
    public const int UserGeneBits = 7;
    public const int SequenceBits = 3;
    public const int WorkerBits = 8;
    public const int TickBits = 38;

    public const int MerchantGeneShift = 0;
    public const int UserGeneShift = MerchantGeneShift + MerchantGeneBits;   // 7
    public const int SequenceShift = UserGeneShift + UserGeneBits;           // 14
    public const int WorkerShift = SequenceShift + SequenceBits;             // 17
    public const int TickShift = WorkerShift + WorkerBits;                   // 25

    public const long GeneMask = (1L << UserGeneBits) - 1;                   // 127
    public const long SequenceMask = (1L << SequenceBits) - 1;               // 7
    public const long WorkerMask = (1L << WorkerBits) - 1;                   // 255
    public const long MaxTick = (1L << TickBits) - 1;

    /// <summary>The largest shard count a 7-bit gene can carry.</summary>
    public const int MaxShardCount = 1 << UserGeneBits;                      // 128

    /// <summary>The shard count ShardKit deploys by default (120 per dimension).</summary>
    public const int DefaultShardCount = 120;

    /// <summary>Worker IDs are 0..255.</summary>
    public const int MaxWorkerId = (int)WorkerMask;

    /// <summary>
    /// The worker ID of the IDs the legacy import derives from legacy keys (<c>LegacyOrderIds</c>): a lease never hands it
    /// out, and no fixed-worker instance may use it.
    /// </summary>
    public const int LegacyWorkerId = MaxWorkerId;

    /// <summary>The highest worker ID a lease hands out (254): every ID but <see cref="LegacyWorkerId"/>.</summary>
    public const int MaxLeasedWorkerId = LegacyWorkerId - 1;

    /// <summary>IDs issued per (tick, worker, gene pair).</summary>
    public const int SequencesPerTick = 1 << SequenceBits;                   // 8

    /// <summary>One tick is 10 ms, in .NET ticks of 100 ns.</summary>
    public const long TimeSpanTicksPerTick = TimeSpan.TicksPerMillisecond * 10;

    /// <summary>The ShardKit epoch, 2025-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Epoch = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Decoding rejects IDs older than 2025-01-02T00:00:00Z: 1 day of ticks.</summary>
    public const long MinValidTick = 24L * 60 * 60 * 100;                    // 8,640,000

    /// <summary>The smallest value that can decode as an order ID (≈ 2.9e14): every smaller number is refused.</summary>
    public const long MinValidValue = MinValidTick << TickShift;

    /// <summary>Decoding rejects IDs whose time is more than this far ahead of the current clock.</summary>
    public static readonly TimeSpan MaxFutureSkew = TimeSpan.FromDays(1);

    public static long Compose(long tick, int workerId, int sequence, int userGene, int merchantGene) =>
        (tick << TickShift)
        | ((long)workerId << WorkerShift)
        | ((long)sequence << SequenceShift)
        | ((long)userGene << UserGeneShift)
        | ((long)merchantGene << MerchantGeneShift);

    public static long TickOf(DateTimeOffset time) => (time.UtcTicks - Epoch.UtcTicks) / TimeSpanTicksPerTick;

    public static DateTimeOffset TimeOfTick(long tick) => new(Epoch.UtcTicks + (tick * TimeSpanTicksPerTick), TimeSpan.Zero);
}

namespace ShardKit.Benchmarks.Migrations;

/// <summary>The knobs of <c>migration</c> (command-line options in brackets).</summary>
internal sealed class MigrationLoadOptions
{
    /// <summary>Legacy orders per scenario (<c>--sizes 5000,200000</c>).</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [5000, 200_000];

    /// <summary>Which modes run for each size (<c>--modes idle,live</c>): without and with live writes.</summary>
    public IReadOnlyList<bool> Live { get; init; } = [false, true];

    /// <summary>Application writers during the backfill and cutover (<c>--writers 4</c>, 10 ms between one writer's operations, as the demo).</summary>
    public int Writers { get; init; } = 4;

    /// <summary>Concurrent loops of the workload runner during the shard moves (<c>--traffic 2</c>, no think time, half reads).</summary>
    public int Traffic { get; init; } = 2;

    /// <summary>User shards moved from c0 to c1 per scenario (<c>--moves 8</c>).</summary>
    public int Moves { get; init; } = 8;

    /// <summary>Alternating rounds of the trigger probe (<c>--trigger-rounds 40</c>), each a block per side.</summary>
    public int TriggerRounds { get; init; } = 40;

    /// <summary>Writes (an INSERT and an UPDATE each) per side per round (<c>--trigger-block 25</c>).</summary>
    public int TriggerBlock { get; init; } = 25;

    /// <summary>Dump | reload runs before the backfill and again after the cutover (<c>--dumps 3</c>); the baseline is their median.</summary>
    public int Dumps { get; init; } = 3;

    /// <summary>Run only the rebalance figure (<c>--rebalance</c>): 120 user shards from 2 clusters to 4 and back with live writers.</summary>
    public bool Rebalance { get; init; }

    /// <summary>Orders seeded before the rebalance (<c>--rebalance-orders 12000</c>).</summary>
    public int RebalanceOrders { get; init; } = 12_000;

    /// <summary>Moves at once during the rebalance (<c>--parallel 2</c>, as <c>move-shard plan --parallel</c>).</summary>
    public int Parallel { get; init; } = 2;

    /// <summary>Seconds the writers run before the rebalance, for the latency they see without it (<c>--baseline-seconds 20</c>).</summary>
    public int BaselineSeconds { get; init; } = 20;

    /// <summary>Only the legacy import's capture triggers' cost to a plain-SQL writer (<c>--legacy-triggers</c>, <see cref="LegacyTriggerCostScenario"/>).</summary>
    public bool LegacyTriggers { get; init; }

    /// <summary>Only the dump | reload runs and the legacy import (backfill, verify, cutover, checks) (<c>--backfill-only</c>): no trigger probe, no shard moves.</summary>
    public bool BackfillOnly { get; init; }

    /// <summary>The backfill's rows per chunk (<c>--chunk-size</c>); the migrator's default when not given.</summary>
    public int? ChunkSize { get; init; }
}

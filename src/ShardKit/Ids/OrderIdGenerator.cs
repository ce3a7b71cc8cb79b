using System.Globalization;

namespace ShardKit.Ids;

/// <summary>
/// Issues ShardKit order IDs: unique across all generator instances that hold distinct worker IDs, time-ordered,
/// and carrying the user-shard and merchant-shard genes of the order (see <see cref="OrderId"/>).
/// Thread-safe, lock-free and allocation-free; create one per process and share it.
/// </summary>
/// <remarks>
/// <para>
/// Uniqueness only needs the 3-bit sequence per (10 ms tick, worker, user gene, merchant gene): one instance issues
/// up to 8 IDs per 10 ms for one user–merchant gene pair (800 per second) and, over random users and merchants,
/// up to 120 × 120 × 800 = 11.5 million per second. A caller whose pair has used its 8 sequence numbers in the
/// current tick waits for the next tick (at most 10 ms); at 1 million random IDs per second this happens to about
/// 1 ID in 12 million, one wait every 12 seconds (docs/order-ids.md).
/// </para>
/// <para>
/// If the clock goes backwards, the generator keeps issuing from the last tick while that tick's sequence numbers
/// last and otherwise waits for the clock to catch up, as long as the regression is within
/// <see cref="OrderIdGeneratorOptions.MaxClockRegression"/>; beyond it <see cref="Next"/> throws. It never issues a
/// duplicate. With a lease, every ID is refused once the lease is no longer held.
/// </para>
/// </remarks>
public sealed class OrderIdGenerator
{
    private readonly long[] _lastIssued; // per gene pair: (tick << SequenceBits) | sequence of the last ID issued
    private readonly int _shardCount;
    private readonly long _workerBits;
    private readonly long _maxRegressionTicks;
    private readonly TimeSpan _maxRegression;
    private readonly IWorkerIdLease? _lease;
    private readonly TimeProvider _timeProvider;
    private long _waits;

    /// <summary>Creates a generator with the fixed worker ID <see cref="OrderIdGeneratorOptions.WorkerId"/>.</summary>
    /// <param name="options">The worker ID (required), shard count and clock-regression bound.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The worker ID is missing or outside 0..254, or another option is out of range.</exception>
    public OrderIdGenerator(OrderIdGeneratorOptions options, TimeProvider? timeProvider = null)
        : this(options, lease: null, timeProvider)
    {
    }

    /// <summary>Creates a generator that uses the worker ID held by <paramref name="lease"/> and stops when the lease lapses.</summary>
    /// <param name="lease">The worker-ID lease, for example a <see cref="DatabaseWorkerIdLease"/>. The caller keeps ownership of it.</param>
    /// <param name="options">Shard count and clock-regression bound; <see cref="OrderIdGeneratorOptions.WorkerId"/> must be unset.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">Both a lease and a fixed worker ID were given, or an option is out of range.</exception>
    public OrderIdGenerator(IWorkerIdLease lease, OrderIdGeneratorOptions? options = null, TimeProvider? timeProvider = null)
        : this(options ?? new OrderIdGeneratorOptions(), lease ?? throw new ArgumentNullException(nameof(lease)), timeProvider)
    {
    }

    private OrderIdGenerator(OrderIdGeneratorOptions options, IWorkerIdLease? lease, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        OptionsValidator<OrderIdGeneratorOptions>.ThrowIfInvalid(options, nameof(options));
        int workerId;
        if (lease is null)
        {
            workerId = options.WorkerId ?? throw new ArgumentException(
                $"ShardKit:OrderIds:{nameof(OrderIdGeneratorOptions.WorkerId)} is not set: give a worker ID between 0 and {OrderIdLayout.MaxLeasedWorkerId} that no other live instance uses, or pass an {nameof(IWorkerIdLease)}.",
                nameof(options));
        }
        else
        {
            if (options.WorkerId is not null)
            {
                throw new ArgumentException($"Give either ShardKit:OrderIds:{nameof(OrderIdGeneratorOptions.WorkerId)} or an {nameof(IWorkerIdLease)}, not both.", nameof(options));
            }

            workerId = lease.WorkerId;
            if (workerId is < 0 or > OrderIdLayout.MaxLeasedWorkerId)
            {
                throw new ArgumentException($"The lease holds worker ID {workerId}, outside 0..{OrderIdLayout.MaxLeasedWorkerId}.", nameof(lease));
            }
        }

        _shardCount = options.ShardCount;
        _lastIssued = new long[_shardCount * _shardCount];
        _workerBits = (long)workerId << OrderIdLayout.WorkerShift;
        _maxRegression = options.MaxClockRegression;
        _maxRegressionTicks = options.MaxClockRegression.Ticks / OrderIdLayout.TimeSpanTicksPerTick;
        _lease = lease;
        _timeProvider = timeProvider ?? TimeProvider.System;
        WorkerId = workerId;
    }

    /// <summary>The worker ID this generator writes into every ID.</summary>
    public int WorkerId { get; }

    /// <summary>The number of shards per dimension the genes are computed for.</summary>
    public int ShardCount => _shardCount;

    /// <summary>How many <see cref="Next"/> calls had to wait for the clock (a used-up tick or a clock regression).</summary>
    internal long WaitCount => Volatile.Read(ref _waits);

    /// <summary>Issues a new order ID for an order of <paramref name="userId"/> at <paramref name="merchantId"/>.</summary>
    /// <remarks>Usually returns at once; waits up to 10 ms when this user–merchant gene pair has used its 8 IDs of the current tick, and up to the configured bound when the clock went backwards.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="userId"/> or <paramref name="merchantId"/> is not positive.</exception>
    /// <exception cref="ShardKitException">
    /// <see cref="ShardKitErrorCode.IdGenerationFailed"/>: the clock went backwards further than allowed, reads a time outside
    /// the ID range, or the worker-ID lease is no longer held.
    /// </exception>
    public OrderId Next(long userId, long merchantId)
    {
        var userGene = ShardFunctions.UserShard(userId, _shardCount);
        var merchantGene = ShardFunctions.MerchantShard(merchantId, _shardCount);
        var waited = false;
        while (true)
        {
            if (TryIssue(userGene, merchantGene, out var id, out var now, out var lastTick))
            {
                return id;
            }

            if (!waited)
            {
                waited = true;
                Interlocked.Increment(ref _waits);
            }

            WaitForTick(now, lastTick);
        }
    }

    /// <summary>
    /// Issues an ID for the gene pair unless the pair has used all sequence numbers of its last tick and the clock
    /// has not moved past that tick; then returns <see langword="false"/> with the clock reading and that tick.
    /// </summary>
    internal bool TryIssue(int userGene, int merchantGene, out OrderId id, out DateTimeOffset now, out long lastTick)
    {
        ref var slot = ref _lastIssued[(userGene * _shardCount) + merchantGene];
        while (true)
        {
            if (_lease is { IsHeld: false })
            {
                throw LeaseLost(_lease.WorkerId);
            }

            now = _timeProvider.GetUtcNow();
            var tick = CheckedTick(now);
            var last = Volatile.Read(ref slot);
            lastTick = last >> OrderIdLayout.SequenceBits;
            long next;
            if (tick > lastTick)
            {
                next = tick << OrderIdLayout.SequenceBits;
            }
            else if ((last & OrderIdLayout.SequenceMask) < OrderIdLayout.SequenceMask)
            {
                next = last + 1; // same tick (or a clock regression): the next sequence number of the last tick
            }
            else
            {
                id = default;
                return false;
            }

            if (Interlocked.CompareExchange(ref slot, next, last) == last)
            {
                id = OrderId.FromValidatedValue(
                    ((next >> OrderIdLayout.SequenceBits) << OrderIdLayout.TickShift)
                    | _workerBits
                    | ((next & OrderIdLayout.SequenceMask) << OrderIdLayout.SequenceShift)
                    | ((long)userGene << OrderIdLayout.UserGeneShift)
                    | ((long)merchantGene << OrderIdLayout.MerchantGeneShift));
                return true;
            }
        }
    }

    private void WaitForTick(DateTimeOffset now, long lastTick)
    {
        var behind = lastTick - OrderIdLayout.TickOf(now);
        if (behind > _maxRegressionTicks)
        {
            throw new ShardKitException(
                ShardKitErrorCode.IdGenerationFailed,
                string.Create(CultureInfo.InvariantCulture, $"The clock went backwards by {TimeSpan.FromTicks(behind * OrderIdLayout.TimeSpanTicksPerTick).TotalMilliseconds} ms (it reads {now.UtcDateTime:O}, but worker {WorkerId} already issued IDs up to {OrderIdLayout.TimeOfTick(lastTick).UtcDateTime:O}), more than the allowed {_maxRegression.TotalMilliseconds} ms; no order ID was issued, to avoid a duplicate."));
        }

        var remaining = OrderIdLayout.TimeOfTick(lastTick + 1) - now;
        if (remaining >= TimeSpan.FromMilliseconds(1))
        {
            Thread.Sleep(1);
        }
        else
        {
            Thread.Yield();
        }
    }

    private static long CheckedTick(DateTimeOffset now)
    {
        var tick = OrderIdLayout.TickOf(now);
        if (tick is < OrderIdLayout.MinValidTick or > OrderIdLayout.MaxTick)
        {
            throw new ShardKitException(
                ShardKitErrorCode.IdGenerationFailed,
                string.Create(CultureInfo.InvariantCulture, $"The clock reads {now.UtcDateTime:O}, outside the range order IDs can carry ({OrderIdLayout.TimeOfTick(OrderIdLayout.MinValidTick).UtcDateTime:O} to {OrderIdLayout.TimeOfTick(OrderIdLayout.MaxTick).UtcDateTime:O}); no order ID was issued."));
        }

        return tick;
    }

    private static ShardKitException LeaseLost(int workerId) => new(
        ShardKitErrorCode.IdGenerationFailed,
        $"Worker ID {workerId} is no longer certainly held by this process (its lease could not be renewed before it expired, was taken over or was released); no order ID was issued, to avoid a duplicate.");
}

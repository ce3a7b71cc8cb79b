using ShardKit.Migrations.Migration.Moves;

namespace ShardKit.Tests.Migration;

/// <summary>The rebalance scheduler's rule, with a fake move function: at most the bound at once, never two running moves on one cluster.</summary>
public sealed class RebalancerTests
{
    // A liveness guard only (a scheduler that never overlapped would otherwise hang the test); no speed is asserted.
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TwoToFourClustersRunsAMoveOnEachPairOfClustersAtOnceAndNeverTwoOnOneCluster()
    {
        var moves = RebalancePlanner.Plan(ShardDimension.User, Placement(("c0", 60), ("c1", 60)), ["c0", "c1", "c2", "c3"]);
        var fake = new FakeMoves(holdUntilRunning: 2);

        var outcomes = await new Rebalancer(2, TimeProvider.System).RunAsync(moves, fake.MoveAsync, finished: null, CancellationToken.None);

        Assert.Empty(fake.Violations);
        Assert.Equal(60, outcomes.Count);
        Assert.All(outcomes, o => Assert.True(o.Switched));
        Assert.Equal(moves.Select(m => m.Name).Order(), outcomes.Select(o => o.Move.Name).Order());
        Assert.Equal(2, fake.MaxRunning);
        // The first two overlapped: each started before the other finished (their recorded times say so).
        var first = outcomes.Where(o => fake.Started.Take(2).Contains(o.Move.Name)).ToList();
        Assert.True(first[0].Started < first[1].Finished && first[1].Started < first[0].Finished);
    }

    [Fact]
    public async Task NoMoreMovesRunAtOnceThanTheBoundEvenOnFreeClusters()
    {
        var moves = Enumerable.Range(0, 8).Select(i => new PlannedMove(ShardDimension.User, i, $"a{i}", $"b{i}")).ToList();
        var fake = new FakeMoves(holdUntilRunning: 3);

        var outcomes = await new Rebalancer(3, TimeProvider.System).RunAsync(moves, fake.MoveAsync, finished: null, CancellationToken.None);

        Assert.Empty(fake.Violations);
        Assert.Equal(8, outcomes.Count);
        Assert.Equal(3, fake.MaxRunning);
    }

    [Fact]
    public async Task ALaterMoveOnFreeClustersGoesBeforeOneWhoseClustersAreBusy()
    {
        // Plan order: two moves out of c0, then one c1 → c3. With a bound of 2 the c1 move runs beside the first c0 move.
        var moves = new List<PlannedMove>
        {
            new(ShardDimension.User, 0, "c0", "c2"),
            new(ShardDimension.User, 1, "c0", "c2"),
            new(ShardDimension.User, 2, "c1", "c3"),
        };
        var fake = new FakeMoves(holdUntilRunning: 2);

        await new Rebalancer(2, TimeProvider.System).RunAsync(moves, fake.MoveAsync, finished: null, CancellationToken.None);

        Assert.Empty(fake.Violations);
        Assert.Equal(["user:0", "user:2"], fake.Started.Take(2).Order());
        Assert.Equal("user:1", fake.Started[2]);
    }

    [Fact]
    public async Task AMoveThatDoesNotSwitchStopsNewMovesAndTheRunningOnesFinish()
    {
        var moves = new List<PlannedMove>
        {
            new(ShardDimension.User, 0, "c0", "c2"),
            new(ShardDimension.User, 1, "c1", "c3"),
            new(ShardDimension.User, 2, "c0", "c2"),
            new(ShardDimension.User, 3, "c1", "c3"),
        };
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new List<string>();
        var reported = new List<string>();

        async Task<MoveCutoverResult> MoveAsync(PlannedMove move, CancellationToken cancellationToken)
        {
            lock (started)
            {
                started.Add(move.Name);
            }

            if (move.Shard == 0)
            {
                await secondStarted.Task.WaitAsync(s_guard, cancellationToken);
                failed.SetResult();
                return new MoveCutoverResult(move.Name, false, 12, 0, 0, "the fence was not free within 1 s");
            }

            secondStarted.TrySetResult();
            await failed.Task.WaitAsync(s_guard, cancellationToken);
            return new MoveCutoverResult(move.Name, true, 3, 1, 0, null);
        }

        var outcomes = await new Rebalancer(2, TimeProvider.System).RunAsync(moves, MoveAsync, o => reported.Add(o.Move.Name), CancellationToken.None);

        Assert.Equal(["user:0", "user:1"], started.Order());
        Assert.Equal(["user:0", "user:1"], reported);
        Assert.Equal("the fence was not free within 1 s", Assert.Single(outcomes, o => !o.Switched).Error);
        Assert.True(Assert.Single(outcomes, o => o.Move.Shard == 1).Switched);
    }

    [Fact]
    public async Task AMoveThatThrowsIsReportedAsNotSwitchedWithItsMessage()
    {
        var moves = new List<PlannedMove> { new(ShardDimension.Merchant, 5, "c0", "c1"), new(ShardDimension.Merchant, 6, "c0", "c1") };

        var outcomes = await new Rebalancer(2, TimeProvider.System).RunAsync(
            moves, (m, _) => throw new InvalidOperationException($"Shard {m.Name} is already being moved"), finished: null, CancellationToken.None);

        var outcome = Assert.Single(outcomes);
        Assert.False(outcome.Switched);
        Assert.Equal("Shard merchant:5 is already being moved", outcome.Error);
        Assert.Equal("Shard merchant:5 is already being moved", outcome.AsResult().Error);
    }

    [Fact]
    public async Task CancellingStartsNoNewMoveLetsTheRunningOnesStopAndThrows()
    {
        var moves = RebalancePlanner.Plan(ShardDimension.User, Placement(("c0", 8), ("c1", 8)), ["c0", "c1", "c2", "c3"]);
        using var cancel = new CancellationTokenSource();
        var running = 0;
        var started = 0;

        async Task<MoveCutoverResult> MoveAsync(PlannedMove move, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref started);
            if (Interlocked.Increment(ref running) == 2)
            {
                await cancel.CancelAsync();
            }

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return new MoveCutoverResult(move.Name, true, 1, 1, 0, null);
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new Rebalancer(2, TimeProvider.System).RunAsync(moves, MoveAsync, finished: null, cancel.Token));

        Assert.Equal(2, started);
        Assert.Equal(0, running);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void ABoundOutOfRangeNamesTheOption(int parallel)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Rebalancer(parallel, TimeProvider.System));
        Assert.StartsWith($"--parallel must be between 1 and 16; got {parallel}.", error.Message, StringComparison.Ordinal);
    }

    private static List<string> Placement(params (string Cluster, int Count)[] ranges) =>
        ranges.SelectMany(r => Enumerable.Repeat(r.Cluster, r.Count)).ToList();

    /// <summary>
    /// Moves that check the rule as they start (no running move shares a cluster, no more than the bound) and, until
    /// <c>holdUntilRunning</c> moves have run at once, do not finish before that many run: so the overlap is proven by the run.
    /// </summary>
    private sealed class FakeMoves(int holdUntilRunning)
    {
        private readonly object _gate = new();
        private readonly List<PlannedMove> _running = [];
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Violations { get; } = [];

        public List<string> Started { get; } = [];

        public int MaxRunning { get; private set; }

        public async Task<MoveCutoverResult> MoveAsync(PlannedMove move, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                foreach (var other in _running.Where(o => Shares(o, move)))
                {
                    Violations.Add($"{move.Name} ({move.From} → {move.To}) started while {other.Name} ({other.From} → {other.To}) ran");
                }

                _running.Add(move);
                Started.Add(move.Name);
                MaxRunning = Math.Max(MaxRunning, _running.Count);
                if (_running.Count > holdUntilRunning)
                {
                    Violations.Add($"{_running.Count} moves ran at once");
                }

                if (_running.Count == holdUntilRunning)
                {
                    _reached.TrySetResult();
                }
            }

            await _reached.Task.WaitAsync(s_guard, cancellationToken);
            await Task.Yield();
            lock (_gate)
            {
                _running.Remove(move);
            }

            return new MoveCutoverResult(move.Name, true, 5, 1, 0, null);
        }

        private static bool Shares(PlannedMove a, PlannedMove b) =>
            new[] { a.From, a.To }.Intersect([b.From, b.To], StringComparer.OrdinalIgnoreCase).Any();
    }
}

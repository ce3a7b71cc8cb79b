namespace ShardKit.Schema;

/// <summary>
/// One dimension's statements and, per statement, the algorithm the first shard (the canary) ran it with: later shards
/// start their ladder there, so the server is asked once, not once per shard, which algorithm it allows.
/// </summary>
internal sealed class RollOutPlan(IReadOnlyList<string> statements, bool allowBlocking)
{
    private readonly DdlAlgorithm?[] _decided = new DdlAlgorithm?[statements.Count];

    public IReadOnlyList<string> Statements { get; } = statements;

    public bool AllowBlocking { get; } = allowBlocking;

    public DdlAlgorithm? Decided(int index)
    {
        lock (_decided)
        {
            return _decided[index];
        }
    }

    /// <summary>Keeps the weakest algorithm any shard needed for the statement.</summary>
    public void Decide(int index, DdlAlgorithm algorithm)
    {
        lock (_decided)
        {
            if (_decided[index] is not { } current || algorithm > current)
            {
                _decided[index] = algorithm;
            }
        }
    }

    /// <summary>How each table change ran, for the report: <c>user: statement 1 (ALTER TABLE {orders} ADD ...) ran with ALGORITHM=INSTANT</c>.</summary>
    public IEnumerable<string> Describe(ShardDimension dimension)
    {
        for (var i = 0; i < Statements.Count; i++)
        {
            var how = Decided(i) switch
            {
                DdlAlgorithm.Instant => "ran with ALGORITHM=INSTANT",
                DdlAlgorithm.InplaceNoLock => "ran with ALGORITHM=INPLACE, LOCK=NONE",
                DdlAlgorithm.Blocking => "ran as written, blocking (allowed)",
                _ => null,
            };
            if (how is not null)
            {
                yield return $"{ShardSlot.DimensionName(dimension)}: statement {i + 1} ({OnlineDdl.Describe(Statements[i])}) {how}";
            }
        }
    }
}

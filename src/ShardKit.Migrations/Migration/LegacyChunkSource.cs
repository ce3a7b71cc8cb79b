using System.Data.Common;
using System.Globalization;
using Dapper;
using ShardKit.Replication;

namespace ShardKit.Migrations.Migration;

/// <summary>
/// Where one backfill run reads its legacy chunks: from a legacy replica when one is configured
/// (<see cref="ShardKitOptions.LegacyReplicas"/>) and usable, else from the legacy primary. The replicas are tried in
/// configuration order; the first usable one serves the chunk.
/// </summary>
/// <remarks>
/// <para>
/// Correctness rule: a chunk read from a replica must see at least everything committed on the legacy primary before
/// <c>migrate start</c> turned capture on. Every write after that is logged by the capture triggers and drained after the
/// backfill, and the version guard makes an older copy lose to it (a tombstone wins over an older copy), so a replica that
/// is behind the primary by such writes only copies a version that is overwritten later. Rows it had not yet received from
/// before capture, though, would never be copied. So before the first chunk a replica serves in a run (a resumed
/// backfill is a new run), the primary's current GTID position is read (once per run, after capture is on, so it covers
/// everything committed before it) and the replica waits until it has applied it (<c>MASTER_GTID_WAIT</c>, through
/// <see cref="GtidDialect"/>, at most <see cref="CatchUpWait"/>).
/// </para>
/// <para>
/// A replica that cannot be reached, fails during the read or does not catch up in time is skipped for
/// <see cref="RetryAfter"/> (then tried again, with a new wait), and the chunk is read from the next replica, finally from
/// the primary; every skip is reported through the callback (the backfill's progress reason). Not thread-safe: the
/// backfill has one chunk read in flight at a time.
/// </para>
/// </remarks>
internal sealed class LegacyChunkSource
{
    /// <summary>How long a replica may take to apply the primary's position before the chunk goes elsewhere.</summary>
    public static readonly TimeSpan CatchUpWait = TimeSpan.FromSeconds(5);

    /// <summary>How long a replica that failed is left alone before it is tried again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    private readonly ShardKitDataSource _dataSource;
    private readonly IReadOnlyList<ShardEndpoint> _replicas;
    private readonly Action<string>? _report;
    private readonly bool[] _caughtUp;
    private readonly long?[] _skippedAt;
    private string? _position;
    private long _replicaReads;
    private long _primaryReads;

    /// <param name="dataSource">The migrator's data source (its legacy primary and replicas).</param>
    /// <param name="report">Told, in one line, when a replica starts serving chunks or is skipped and why.</param>
    public LegacyChunkSource(ShardKitDataSource dataSource, Action<string>? report)
    {
        _dataSource = dataSource;
        _replicas = dataSource.Map.LegacyReplicas;
        _report = report;
        _caughtUp = new bool[_replicas.Count];
        _skippedAt = new long?[_replicas.Count];
    }

    /// <summary>How many chunks a replica served in this run, and how many the primary did.</summary>
    public (long Replica, long Primary) Reads => (_replicaReads, _primaryReads);

    /// <summary>
    /// Runs <paramref name="read"/> (a read-only chunk read) on the first usable legacy replica, else on the legacy primary.
    /// A replica's failure is not thrown: the next source is tried.
    /// </summary>
    public async Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        var time = _dataSource.TimeProvider;
        for (var i = 0; i < _replicas.Count; i++)
        {
            if (_skippedAt[i] is { } skipped && time.GetElapsedTime(skipped) < RetryAfter)
            {
                continue;
            }

            string problem;
            var opened = false;
            try
            {
                var connection = await _dataSource.OpenLegacyReplicaAsync(i, cancellationToken).ConfigureAwait(false);
                opened = true;
                await using (connection.ConfigureAwait(false))
                {
                    if (!_caughtUp[i])
                    {
                        var position = _position ??= await ReadPrimaryPositionAsync(cancellationToken).ConfigureAwait(false);
                        var applied = await connection.ExecuteScalarAsync<object?>(new CommandDefinition(
                            GtidDialect.WaitStatement(position, CatchUpWait),
                            commandTimeout: (int)CatchUpWait.TotalSeconds + 30,
                            cancellationToken: cancellationToken)).ConfigureAwait(false);
                        if (!GtidDialect.IsApplied(applied))
                        {
                            Skip(i, string.Create(CultureInfo.InvariantCulture, $"has not applied the primary's GTID position {position} within {CatchUpWait.TotalSeconds:0.#} s"));
                            continue;
                        }

                        _caughtUp[i] = true;
                        _skippedAt[i] = null;
                        _report?.Invoke($"legacy replica {i} ({_replicas[i].Address}) has applied the primary's GTID position {position}: chunks are read from it");
                    }

                    var result = await read(connection, cancellationToken).ConfigureAwait(false);
                    _replicaReads++;
                    return result;
                }
            }
            catch (Exception ex) when (IsReplicaFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                problem = (opened ? "failed (" : "unreachable (") + ex.Message.TrimEnd('.') + ")";
            }

            Skip(i, problem);
        }

        var primary = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (primary.ConfigureAwait(false))
        {
            var result = await read(primary, cancellationToken).ConfigureAwait(false);
            _primaryReads++;
            return result;
        }
    }

    // ArgumentOutOfRangeException: a reloaded topology has fewer legacy replicas than when the run began.
    private static bool IsReplicaFailure(Exception ex) =>
        ex is DbException or ShardKitException or TimeoutException or IOException or InvalidOperationException or ArgumentOutOfRangeException;

    private void Skip(int index, string problem)
    {
        _caughtUp[index] = false;
        _skippedAt[index] = _dataSource.TimeProvider.GetTimestamp();
        var next = index + 1 < _replicas.Count ? "the next replica, else the primary" : "the primary";
        _report?.Invoke(string.Create(
            CultureInfo.InvariantCulture,
            $"legacy replica {index} ({_replicas[index].Address}) {problem}: reading from {next}; it is tried again in {RetryAfter.TotalSeconds:0} s"));
    }

    /// <summary>The legacy primary's GTID position now: what a replica must have applied before it serves a chunk.</summary>
    private async Task<string> ReadPrimaryPositionAsync(CancellationToken cancellationToken)
    {
        var primary = await _dataSource.OpenLegacyAsync(cancellationToken).ConfigureAwait(false);
        await using (primary.ConfigureAwait(false))
        {
            var scalar = await primary.ExecuteScalarAsync<object?>(new CommandDefinition(
                GtidDialect.CurrentPositionQuery(primary.ServerVersion), cancellationToken: cancellationToken)).ConfigureAwait(false);
            return GtidDialect.ParseLastCommittedGtid(scalar) ?? throw new InvalidOperationException(
                "The legacy primary reports no GTID position (is its binary log on?): the backfill cannot make sure a legacy replica has every row before reading from it. Remove LegacyReplicas or turn on the binary log with GTIDs.");
        }
    }
}

using Microsoft.Extensions.Time.Testing;
using ShardKit.Migrations.Migration;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Migration;

public sealed class LegacyChunkSourceTests
{
    private const string Position = "100-1000-42";

    [Fact]
    public async Task AReplicaServesChunksOnlyAfterItAppliedThePrimarysPositionWaitingOncePerRun()
    {
        var (provider, shards, _) = Create();
        await using var _ = shards;
        var reports = new List<string>();
        var source = new LegacyChunkSource(shards, reports.Add);

        Assert.Equal(Replica(shards, 0), await source.ReadAsync(ReadWhere, CancellationToken.None));
        Assert.Equal(Replica(shards, 0), await source.ReadAsync(ReadWhere, CancellationToken.None));

        Assert.Equal((2, 0), source.Reads);
        var wait = Assert.Single(provider.Server.Executed, e => e.Sql.Contains("MASTER_GTID_WAIT", StringComparison.Ordinal));
        Assert.Equal(Replica(shards, 0), wait.ConnectionString);
        Assert.Contains($"'{Position}'", wait.Sql, StringComparison.Ordinal);
        Assert.Contains(provider.Server.Executed, e => e.ConnectionString == shards.Map.Legacy!.ConnectionString && e.Sql.Contains("gtid_binlog_pos", StringComparison.Ordinal));
        Assert.Contains(reports, r => r.Contains("legacy replica 0", StringComparison.Ordinal) && r.Contains("chunks are read from it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnUnreachableReplicaIsSkippedForAWhileAndTheNextOneThenThePrimaryServes()
    {
        var (provider, shards, time) = Create();
        await using var _ = shards;
        var reports = new List<string>();
        var source = new LegacyChunkSource(shards, reports.Add);
        provider.Server.Down[Replica(shards, 0)] = true;

        Assert.Equal(Replica(shards, 1), await source.ReadAsync(ReadWhere, CancellationToken.None));
        Assert.Contains(reports, r => r.Contains("legacy replica 0", StringComparison.Ordinal) && r.Contains("unreachable", StringComparison.Ordinal) && r.Contains("the next replica", StringComparison.Ordinal));

        provider.Server.Down[Replica(shards, 1)] = true;
        Assert.Equal(shards.Map.Legacy!.ConnectionString, await source.ReadAsync(ReadWhere, CancellationToken.None));
        Assert.Contains(reports, r => r.Contains("legacy replica 1", StringComparison.Ordinal) && r.Contains("reading from the primary", StringComparison.Ordinal));

        // Both back: neither is tried again before its pause is over, then each waits for the position again.
        provider.Server.Down.Clear();
        var opened = provider.Server.Opened;
        Assert.Equal(shards.Map.Legacy!.ConnectionString, await source.ReadAsync(ReadWhere, CancellationToken.None));
        Assert.Equal(opened + 1, provider.Server.Opened);

        time.Advance(LegacyChunkSource.RetryAfter);
        Assert.Equal(Replica(shards, 0), await source.ReadAsync(ReadWhere, CancellationToken.None));
        Assert.Equal(2, provider.Server.Executed.Count(e => e.Sql.Contains("MASTER_GTID_WAIT", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AReplicaThatHasNotCaughtUpDoesNotServeAndAFailedReadGoesToThePrimary()
    {
        var (provider, shards, _) = Create(replicas: 1, waitResult: -1);
        await using var first = shards;
        var reports = new List<string>();
        var source = new LegacyChunkSource(shards, reports.Add);

        Assert.Equal(shards.Map.Legacy!.ConnectionString, await source.ReadAsync(ReadWhere, CancellationToken.None));
        Assert.Contains(reports, r => r.Contains($"has not applied the primary's GTID position {Position}", StringComparison.Ordinal));

        // A read that dies on the replica is read again from the primary.
        (provider, shards, _) = Create(replicas: 1);
        await using var second = shards;
        source = new LegacyChunkSource(shards, reports.Add);
        var attempts = new List<string>();
        var result = await source.ReadAsync(
            (connection, _) =>
            {
                attempts.Add(connection.ConnectionString);
                return attempts.Count == 1 ? throw new FakeDbException("Connection lost mid-read") : Task.FromResult(connection.ConnectionString);
            },
            CancellationToken.None);
        Assert.Equal([Replica(shards, 0), shards.Map.Legacy!.ConnectionString], attempts);
        Assert.Equal(shards.Map.Legacy!.ConnectionString, result);
        Assert.Contains(reports, r => r.Contains("failed (Connection lost mid-read)", StringComparison.Ordinal));
    }

    private static Task<string> ReadWhere(System.Data.Common.DbConnection connection, CancellationToken cancellationToken) =>
        Task.FromResult(connection.ConnectionString);

    private static string Replica(ShardKitDataSource shards, int index) => shards.Map.LegacyReplicas[index].ConnectionString;

    private static (FakeProviderFactory Provider, ShardKitDataSource Shards, FakeTimeProvider Time) Create(int replicas = 2, long waitResult = 0)
    {
        var server = new FakeServer
        {
            Scalar = (_, sql) =>
                sql.Contains("gtid_binlog_pos", StringComparison.Ordinal) ? Position
                : sql.Contains("MASTER_GTID_WAIT", StringComparison.Ordinal) ? waitResult
                : null,
        };
        var provider = new FakeProviderFactory(server);
        var options = TestTopologies.DevUp(clusters: 1);
        options.Legacy = "Server=127.0.0.1;Port=4000;User ID=m;Password=p;Database=legacy";
        options.LegacyReplicas = Enumerable.Range(1, replicas).Select(r => $"Server=127.0.0.1;Port={4000 + r};User ID=m;Password=p;Database=legacy").ToList();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        return (provider, new ShardKitDataSourceBuilder(options).UseProvider(provider).UseTimeProvider(time).Build(), time);
    }
}

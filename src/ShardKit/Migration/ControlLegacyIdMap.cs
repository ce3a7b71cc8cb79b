using Dapper;

namespace ShardKit.Migration;

/// <summary>
/// The legacy ID links kept in the control schema (<c>shardkit_control.legacy_order_ids</c>), claim-if-absent through
/// <c>INSERT IGNORE</c> on the legacy ID's primary key.
/// </summary>
internal sealed class ControlLegacyIdMap : ILegacyIdMap
{
    private const string Claim = $"INSERT IGNORE INTO `{ControlSchema.Name}`.`legacy_order_ids` (legacy_id, order_id) VALUES (@LegacyId, @OrderId)";
    private const string Read = $"SELECT legacy_id, order_id FROM `{ControlSchema.Name}`.`legacy_order_ids` WHERE legacy_id IN @Ids";

    private readonly ShardKitDataSource _dataSource;
    private readonly ShardCluster _cluster;

    public ControlLegacyIdMap(ShardKitDataSource dataSource, ShardCluster cluster)
    {
        _dataSource = dataSource;
        _cluster = cluster;
    }

    public async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenClusterAsync(_cluster, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await ControlSchema.EnsureAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyDictionary<long, OrderId>> ClaimAsync(IReadOnlyList<(long LegacyId, OrderId Candidate)> candidates, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0)
        {
            return new Dictionary<long, OrderId>();
        }

        var connection = await _dataSource.OpenClusterAsync(_cluster, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                Claim, candidates.Select(c => new { c.LegacyId, OrderId = c.Candidate.Value }).ToList(), cancellationToken: cancellationToken)).ConfigureAwait(false);
            var rows = await connection.QueryAsync<(long LegacyId, long OrderId)>(new CommandDefinition(
                Read, new { Ids = candidates.Select(c => c.LegacyId).ToArray() }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.ToDictionary(r => r.LegacyId, r => OrderId.FromValidatedValue(r.OrderId));
        }
    }

    public async Task<OrderId?> FindAsync(long legacyId, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenClusterAsync(_cluster, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var rows = await connection.QueryAsync<(long LegacyId, long OrderId)>(new CommandDefinition(
                Read, new { Ids = new[] { legacyId } }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return rows.Select(r => (OrderId?)OrderId.FromValidatedValue(r.OrderId)).FirstOrDefault();
        }
    }
}

namespace ShardKit.Migrations.Migration.Moves;

/// <summary>Progress of a shard move's copy: the table being copied, rows done of the estimate, speed and the time left.</summary>
internal sealed record MoveProgress(string Phase, string Table, long Done, long Total, double RowsPerSecond, TimeSpan? Eta);

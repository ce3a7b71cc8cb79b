namespace ShardKit.Migrations.Migration.Moves;

/// <summary>The outcome of one switch (cutover or rollback): switched or not (and why), the writers' pause, the new epoch, changes drained under the fence.</summary>
internal sealed record MoveCutoverResult(string Shard, bool Switched, double PauseMs, int Epoch, long ChangesDrained, string? Error);

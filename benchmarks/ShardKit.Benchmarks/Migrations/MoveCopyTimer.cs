using ShardKit.Migrations.Migration.Moves;

namespace ShardKit.Benchmarks.Migrations;

/// <summary>
/// Keeps the shard mover's last copy progress, reported synchronously after every chunk: rows copied by this run and their
/// rate since the copy began, so the copy phase's own duration is rows / rate (the set-up before it and the drains, compare
/// and cutover after it left out).
/// </summary>
internal sealed class MoveCopyTimer : IProgress<MoveProgress>
{
    public long Rows { get; private set; }

    public double Seconds { get; private set; }

    public void Report(MoveProgress value)
    {
        if (value.Phase == "copy" && value.RowsPerSecond > 0)
        {
            Rows = value.Done;
            Seconds = value.Done / value.RowsPerSecond;
        }
    }
}

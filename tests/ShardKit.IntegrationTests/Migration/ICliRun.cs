namespace ShardKit.IntegrationTests.Migration;

/// <summary>A run that drives the built <c>shardkit</c> CLI as child processes and keeps a log of what was done to it.</summary>
internal interface ICliRun
{
    /// <summary>What this run is (e.g. <c>seed 3</c>), at the head of every failure message.</summary>
    string Name { get; }

    string Log { get; }

    void Write(string line);

    /// <summary>Starts the run's command (<c>migrate</c>, <c>move-shard</c>) with <paramref name="args"/> and its configuration; the run kills it when disposed.</summary>
    CliProcess StartCli(params string[] args);
}

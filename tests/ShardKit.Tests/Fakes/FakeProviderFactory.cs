using System.Collections.Concurrent;
using System.Data.Common;

namespace ShardKit.Tests.Fakes;

/// <summary>A provider whose connections talk to a <see cref="FakeServer"/>; counts the pools it creates.</summary>
public sealed class FakeProviderFactory(FakeServer server) : DbProviderFactory
{
    private readonly ConcurrentQueue<string> _dataSources = new();

    public FakeServer Server { get; } = server;

    /// <summary>The connection string of every DbDataSource created, in order.</summary>
    public IReadOnlyList<string> DataSources => _dataSources.ToList();

    public override DbConnection CreateConnection() => new FakeConnection(Server);

    public override DbDataSource CreateDataSource(string connectionString)
    {
        _dataSources.Enqueue(connectionString);
        return base.CreateDataSource(connectionString);
    }
}

using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;

namespace ShardKit.Tests.Fakes;

public sealed class FakeConnection(FakeServer server) : DbConnection
{
    private ConnectionState _state = ConnectionState.Closed;

    public FakeServer Server { get; } = server;

    public List<FakeTransaction> Transactions { get; } = [];

    [AllowNull]
    public override string ConnectionString { get; set; } = "";

    public override string Database => "";

    public override string DataSource => "fake";

    public override string ServerVersion => "10.11.0-fake";

    public override ConnectionState State => _state;

    public override void ChangeDatabase(string databaseName) => throw new NotSupportedException();

    public override void Close() => _state = ConnectionState.Closed;

    public override void Open()
    {
        Server.Open(ConnectionString);
        _state = ConnectionState.Open;
    }

    protected override void Dispose(bool disposing)
    {
        Close();
        base.Dispose(disposing);
    }

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel)
    {
        var transaction = new FakeTransaction(this, isolationLevel);
        Transactions.Add(transaction);
        return transaction;
    }

    protected override DbCommand CreateDbCommand() => new FakeCommand(this);
}

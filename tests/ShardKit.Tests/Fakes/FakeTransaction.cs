using System.Data;
using System.Data.Common;

namespace ShardKit.Tests.Fakes;

public sealed class FakeTransaction(FakeConnection connection, IsolationLevel isolationLevel) : DbTransaction
{
    public bool Committed { get; private set; }

    public bool RolledBack { get; private set; }

    public override IsolationLevel IsolationLevel { get; } = isolationLevel;

    protected override DbConnection DbConnection { get; } = connection;

    public override void Commit() => Committed = true;

    public override void Rollback() => RolledBack = true;

    protected override void Dispose(bool disposing)
    {
        if (!Committed)
        {
            RolledBack = true;
        }

        base.Dispose(disposing);
    }
}

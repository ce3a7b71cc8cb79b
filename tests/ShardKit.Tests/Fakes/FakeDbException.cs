using System.Data.Common;

namespace ShardKit.Tests.Fakes;

public sealed class FakeDbException(string message, string? sqlState = null) : DbException(message)
{
    public override string? SqlState { get; } = sqlState;
}

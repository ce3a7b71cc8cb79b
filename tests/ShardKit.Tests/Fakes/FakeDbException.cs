using System.Data.Common;

namespace ShardKit.Tests.Fakes;

public sealed class FakeDbException(string message) : DbException(message);

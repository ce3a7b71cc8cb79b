using Microsoft.Extensions.Logging.Abstractions;
using ShardKit.Tests.Fakes;

namespace ShardKit.Tests.Connections;

/// <summary>The ambient context on its own: the flow's transaction binding and its read-your-writes scopes.</summary>
public sealed class AmbientContextTests
{
    private readonly AmbientContext _ambient = new(NullLogger.Instance);
    private readonly ShardMap _map = ShardMap.Create(TestTopologies.DevUp(clusters: 2));

    [Fact]
    public void OnlyAFlowWithAnOpenScopeWantsCausalTokens()
    {
        Assert.False(_ambient.WantsCausalTokens);

        using (_ambient.BeginReadYourWrites())
        {
            Assert.True(_ambient.WantsCausalTokens);
        }

        Assert.False(_ambient.WantsCausalTokens);
    }

    [Fact]
    public void AScopeKeepsTheLatestTokenOfEachClusterWrittenOnItsFlow()
    {
        using var scope = _ambient.BeginReadYourWrites();

        _ambient.RecordWrite(new CausalToken("c0", "0-1-5"));
        _ambient.RecordWrite(new CausalToken("c0", "0-1-6"));
        _ambient.RecordWrite(new CausalToken("c1", "0-2-9"));
        _ambient.RecordWrite(null);

        Assert.Equal("0-1-6", _ambient.ReadYourWritesToken("c0")?.Gtid);
        Assert.Equal("0-2-9", _ambient.ReadYourWritesToken("C1")?.Gtid);
        Assert.Equal(2, scope.Tokens.Count);
    }

    [Fact]
    public async Task AnotherFlowDoesNotSeeTheScope()
    {
        using var scope = _ambient.BeginReadYourWrites();
        _ambient.RecordWrite(new CausalToken("c0", "0-1-5"));

        var seenElsewhere = await Task.Run(() =>
        {
            using (ExecutionContext.SuppressFlow())
            {
                return Task.Run(() => (_ambient.WantsCausalTokens, _ambient.ReadYourWritesToken("c0")));
            }
        });

        Assert.Equal((false, (CausalToken?)null), seenElsewhere);
    }

    [Fact]
    public void ANestedScopeAlsoRecordsIntoTheOuterOneAndEndingItRestoresTheOuter()
    {
        using var outer = _ambient.BeginReadYourWrites();
        _ambient.RecordWrite(new CausalToken("c0", "0-1-5"));

        using (var inner = _ambient.BeginReadYourWrites())
        {
            Assert.Equal("0-1-5", _ambient.ReadYourWritesToken("c0")?.Gtid);
            _ambient.RecordWrite(new CausalToken("c1", "0-2-9"));
            Assert.Equal(2, inner.Tokens.Count);
        }

        Assert.Equal("0-2-9", _ambient.ReadYourWritesToken("c1")?.Gtid);
        Assert.Equal(2, outer.Tokens.Count);
    }

    [Fact]
    public async Task ATransactionBindsItsFlowUntilItIsCleared()
    {
        var slot = _map.RouteUser(1).Slot;
        var transaction = new ShardTransaction(_ambient, slot, slot.Cluster.Primary, new FakeConnection(new FakeServer()), readOnly: false);
        _ambient.Transaction = transaction;

        Assert.Same(transaction, _ambient.Transaction);
        await transaction.DisposeAsync();

        Assert.Null(_ambient.Transaction);
    }

    [Fact]
    public void AnotherShardIsRefusedWhileATransactionIsBoundAndTheSameShardIsNot()
    {
        var slot = _map.RouteUser(1).Slot;
        var other = _map.GetRoute(ShardDimension.User, slot.Shard + 1).Slot;
        var transaction = new ShardTransaction(_ambient, slot, slot.Cluster.Primary, new FakeConnection(new FakeServer()), readOnly: false);

        _ambient.EnsureSameShard(transaction, _map.RouteUser(1).Slot);
        var ex = Assert.Throws<ShardKitException>(() => _ambient.EnsureSameShard(transaction, other));

        Assert.Equal(ShardKitErrorCode.CrossShardTransaction, ex.ErrorCode);
        Assert.Equal(other.Name, ex.Shard);
    }
}

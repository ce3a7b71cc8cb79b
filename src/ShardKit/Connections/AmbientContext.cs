using Microsoft.Extensions.Logging;

namespace ShardKit.Connections;

/// <summary>
/// What a data source keeps per async flow: the ShardKit transaction open on it (which binds the flow to one shard) and the
/// open <see cref="ReadYourWritesScope"/> (which collects the causal tokens of the flow's writes).
/// </summary>
internal sealed class AmbientContext
{
    private readonly AsyncLocal<ShardTransaction?> _transaction = new();
    private readonly AsyncLocal<ReadYourWritesScope?> _readYourWrites = new();
    private readonly ILogger _logger;

    public AmbientContext(ILogger logger)
    {
        _logger = logger;
    }

    /// <summary>The ShardKit transaction open on the current async flow, if any.</summary>
    public ShardTransaction? Transaction
    {
        get => _transaction.Value is { IsActive: true } transaction ? transaction : null;
        set => _transaction.Value = value;
    }

    /// <summary>Whether a scope open on the current flow wants the tokens of its writes (each costs a round trip).</summary>
    public bool WantsCausalTokens => CurrentScope() is not null;

    /// <summary>Removes <paramref name="transaction"/> from the current async flow if it is the one bound there, finished or not.</summary>
    public void Clear(ShardTransaction transaction)
    {
        if (ReferenceEquals(_transaction.Value, transaction))
        {
            _transaction.Value = null;
        }
    }

    /// <summary>Throws <see cref="ShardKitErrorCode.CrossShardTransaction"/> when <paramref name="requested"/> is not the shard <paramref name="transaction"/> is bound to.</summary>
    public void EnsureSameShard(ShardTransaction transaction, ShardSlot requested)
    {
        var bound = transaction.Slot;
        if (bound.Dimension == requested.Dimension && bound.Shard == requested.Shard)
        {
            return;
        }

        Log.CrossShardTransactionRefused(_logger, requested.Name, bound.Name);
        throw new ShardKitException(
            ShardKitErrorCode.CrossShardTransaction,
            $"Cannot use shard {requested.Name}: a ShardKit transaction is open on shard {bound.Name}, and a transaction is bound to one shard. " +
            "Finish it before touching another shard.")
        {
            Shard = requested.Name,
        };
    }

    /// <summary>Opens a "read your own writes" scope on the current async flow (inside the one open there, if any).</summary>
    public ReadYourWritesScope BeginReadYourWrites()
    {
        var scope = new ReadYourWritesScope(CurrentScope(), EndScope);
        _readYourWrites.Value = scope;
        return scope;
    }

    /// <summary>Hands a committed write's token to the scope open on the current flow, if any.</summary>
    public void RecordWrite(CausalToken? token)
    {
        if (token is not null && CurrentScope() is { } scope)
        {
            scope.Add(token);
        }
    }

    /// <summary>The latest token of <paramref name="cluster"/> in the scope open on the current flow, if any.</summary>
    public CausalToken? ReadYourWritesToken(string cluster) => CurrentScope()?.GetToken(cluster);

    private ReadYourWritesScope? CurrentScope()
    {
        var scope = _readYourWrites.Value;
        while (scope is { IsDisposed: true })
        {
            scope = scope.Parent;
        }

        return scope;
    }

    private void EndScope(ReadYourWritesScope scope)
    {
        if (ReferenceEquals(_readYourWrites.Value, scope))
        {
            _readYourWrites.Value = scope.Parent;
        }
    }
}

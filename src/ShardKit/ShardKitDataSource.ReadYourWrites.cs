namespace ShardKit;

/// <content>The per-request "read your own writes" scope.</content>
public sealed partial class ShardKitDataSource
{
    private readonly AsyncLocal<ReadYourWritesScope?> _readYourWrites = new();

    /// <summary>
    /// Opens a "read your own writes" scope on the current async flow: writes committed on the flow while it is open hand
    /// their causal tokens to it, and replica reads on the flow use them, so a request always sees its own writes without
    /// passing tokens around. Use it with <c>using</c> at the start of a request.
    /// </summary>
    /// <example>
    /// <code>
    /// using var scope = shards.ReadYourWrites();
    /// await using (var write = await shards.OpenUserShardAsync(userId, ShardIntent.Write)) { /* insert */ }
    /// await using var read = await shards.OpenUserShardAsync(userId, ShardIntent.Read);  // sees the insert
    /// </code>
    /// </example>
    public ReadYourWritesScope ReadYourWrites()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var scope = new ReadYourWritesScope(CurrentScope(), EndScope);
        _readYourWrites.Value = scope;
        return scope;
    }

    /// <summary>Whether a scope open on the current flow wants the tokens of its writes (each costs a round trip).</summary>
    internal bool WantsCausalTokens => CurrentScope() is not null;

    /// <summary>Hands a committed write's token to the scope open on the current flow, if any.</summary>
    internal void RecordWrite(CausalToken? token)
    {
        if (token is not null && CurrentScope() is { } scope)
        {
            scope.Add(token);
        }
    }

    private CausalToken? ReadYourWritesToken(string cluster) => CurrentScope()?.GetToken(cluster);

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

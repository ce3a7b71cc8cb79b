
namespace ShardKit.AlternateKeys;

/// <summary>
/// A key that carries no shard genes and names an order or a user: a <see cref="Kind"/> (for example
/// <c>legacy-order-id</c>, <c>trade-no</c>, <c>payment-no</c>, <c>phone</c>) and a <see cref="Value"/>. Keys are
/// compared ordinally: case and every character count.
/// </summary>
public readonly struct AlternateKey : IEquatable<AlternateKey>
{
    /// <summary>The longest <see cref="Kind"/>, in characters.</summary>
    public const int MaxKindLength = 32;

    /// <summary>The longest <see cref="Value"/>, in UTF-16 characters.</summary>
    public const int MaxValueLength = 191;

    private readonly string? _kind;
    private readonly string? _value;

    /// <summary>Creates a key.</summary>
    /// <param name="kind">1 to 32 characters from <c>a-z</c>, <c>0-9</c>, <c>-</c>, <c>_</c> and <c>.</c>.</param>
    /// <param name="value">1 to 191 characters, no control characters, no white space at either end.</param>
    /// <exception cref="ArgumentException">The kind or the value breaks these rules; the message says which and how.</exception>
    public AlternateKey(string kind, string value)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(value);
        ValidateKind(kind);
        ValidateValue(value);
        _kind = kind;
        _value = value;
    }

    /// <summary>What the value is: <c>legacy-order-id</c>, <c>trade-no</c>, <c>phone</c>, ...</summary>
    public string Kind => _kind ?? throw Empty();

    /// <summary>The key itself.</summary>
    public string Value => _value ?? throw Empty();

    /// <summary>Whether both keys have the same kind and value (ordinal comparison).</summary>
    public static bool operator ==(AlternateKey left, AlternateKey right) => left.Equals(right);

    /// <summary>Whether the keys differ in kind or value.</summary>
    public static bool operator !=(AlternateKey left, AlternateKey right) => !left.Equals(right);

    /// <summary>
    /// The user shard (0 to <paramref name="shardCount"/> − 1) whose <c>shardkit_key_mappings</c> table holds this key.
    /// Frozen like <see cref="ShardFunctions.UserShard"/>: FNV-1a over the UTF-8 kind, a zero byte and the value, then
    /// the same mix and reduction.
    /// </summary>
    /// <param name="shardCount">The number of user shards, 1 to 128.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shardCount"/> is outside 1..128.</exception>
    public int GetShard(int shardCount)
    {
        ShardFunctions.ValidateShardCount(shardCount);
        return ShardHash.KeyShard(Kind, Value, shardCount);
    }

    /// <inheritdoc/>
    public bool Equals(AlternateKey other) =>
        string.Equals(_kind, other._kind, StringComparison.Ordinal) && string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is AlternateKey other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(
        _kind is null ? 0 : StringComparer.Ordinal.GetHashCode(_kind),
        _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value));

    /// <summary>Returns <c>kind:value</c>, for example <c>trade-no:T2026-0001</c>.</summary>
    public override string ToString() => _kind is null ? "(no key)" : _kind + ":" + _value;

    private static void ValidateKind(string kind)
    {
        if (kind.Length is 0 or > MaxKindLength)
        {
            throw new ArgumentException($"The alternate-key kind must be 1 to {MaxKindLength} characters; got {kind.Length}.", nameof(kind));
        }

        foreach (var c in kind)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.'))
            {
                throw new ArgumentException($"The alternate-key kind '{kind}' contains '{c}'; only a-z, 0-9, '-', '_' and '.' are allowed.", nameof(kind));
            }
        }
    }

    private static void ValidateValue(string value)
    {
        if (value.Length is 0 or > MaxValueLength)
        {
            throw new ArgumentException($"An alternate-key value must be 1 to {MaxValueLength} characters; got {value.Length}.", nameof(value));
        }

        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            throw new ArgumentException("An alternate-key value must not start or end with white space.", nameof(value));
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c))
            {
                throw new ArgumentException("An alternate-key value must not contain control characters.", nameof(value));
            }

            // An unpaired surrogate cannot be stored as utf8mb4 and would hash differently from what the server keeps.
            if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[++i])))
            {
                throw new ArgumentException("An alternate-key value must be valid Unicode; it contains an unpaired surrogate.", nameof(value));
            }
        }
    }

    private static InvalidOperationException Empty() => new("This AlternateKey is default; create keys with new AlternateKey(kind, value).");
}

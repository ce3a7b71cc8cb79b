namespace ShardKit.Routing;

/// <summary>
/// The frozen hash behind <see cref="ShardFunctions"/>. Changing anything here moves every user and merchant
/// to a different shard: the golden-value tests exist to stop that from happening by accident.
/// </summary>
internal static class ShardHash
{
    /// <summary>Added to a user ID before mixing: 2^64 / φ (the splitmix64 increment), so users and merchants hash differently.</summary>
    public const ulong UserSalt = 0x9E3779B97F4A7C15UL;

    /// <summary>Added to a merchant ID before mixing: twice <see cref="UserSalt"/> (mod 2^64).</summary>
    public const ulong MerchantSalt = 0x3C6EF372FE94F82AUL;

    private const ulong FnvOffsetBasis = 0xCBF29CE484222325UL;
    private const ulong FnvPrime = 0x100000001B3UL;

    /// <summary>Added to an alternate key's hash before mixing: three times <see cref="UserSalt"/> (mod 2^64).</summary>
    public const ulong KeySalt = 0xDAA66D2C7DDF743FUL;

    /// <summary>
    /// The splitmix64 output finalizer (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
    /// OOPSLA 2014; constants from Vigna's variant): two xor-shift-multiply rounds and a final xor-shift.
    /// It is a bijection on 64-bit values with full avalanche, so consecutive IDs land on unrelated shards.
    /// </summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * MixMultiplier1;
        z = (z ^ (z >> 27)) * MixMultiplier2;
        return z ^ (z >> 31);
    }

    /// <summary>The first round's multiplier of <see cref="Mix"/> (also in the legacy import's SQL form of it).</summary>
    public const ulong MixMultiplier1 = 0xBF58476D1CE4E5B9UL;

    /// <summary>The second round's multiplier of <see cref="Mix"/>.</summary>
    public const ulong MixMultiplier2 = 0x94D049BB133111EBUL;

    /// <summary>
    /// Maps a 64-bit hash onto [0, <paramref name="count"/>) by taking the high 64 bits of hash × count
    /// (Lemire's multiply-high reduction). Every shard receives either ⌊2^64/count⌋ or ⌈2^64/count⌉ hash values,
    /// a relative imbalance below count / 2^64 (under 7e-18 for 128 shards).
    /// </summary>
    public static int Reduce(ulong hash, int count) => (int)Math.BigMul(hash, (ulong)count, out _);

    public static int Shard(long id, ulong salt, int count) => Reduce(Mix(unchecked((ulong)id + salt)), count);

    /// <summary>
    /// The shard of an alternate key: 64-bit FNV-1a over the UTF-8 bytes of <paramref name="kind"/>, a zero byte and
    /// <paramref name="value"/>, plus <see cref="KeySalt"/>, mixed and reduced like a user ID.
    /// </summary>
    public static int KeyShard(string kind, string value, int count)
    {
        var hash = Fnv1a(FnvOffsetBasis, kind);
        hash = unchecked(hash * FnvPrime); // the zero separator byte: hash ^ 0 == hash
        hash = Fnv1a(hash, value);
        return Reduce(Mix(unchecked(hash + KeySalt)), count);
    }

    private static ulong Fnv1a(ulong hash, string text)
    {
        var length = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> buffer = length <= 1024 ? stackalloc byte[length] : new byte[length];
        var written = System.Text.Encoding.UTF8.GetBytes(text, buffer);
        foreach (var b in buffer[..written])
        {
            hash = unchecked((hash ^ b) * FnvPrime);
        }

        return hash;
    }
}

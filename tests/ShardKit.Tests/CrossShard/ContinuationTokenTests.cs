using System.Buffers.Text;
using ShardKit.CrossShard;

namespace ShardKit.Tests.CrossShard;

public sealed class ContinuationTokenTests
{
    private static readonly byte[] s_key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private static readonly ColumnKind[] s_kinds = [ColumnKind.String, ColumnKind.Decimal, ColumnKind.DateTime, ColumnKind.Int64];
    private static readonly object?[] s_sortKey = ["päid"u8.ToArray(), 12.30m, new DateTime(2026, 11, 22, 1, 2, 3).AddTicks(4560), 1234567890123L];

    [Fact]
    public void RoundTripsEveryKindOfSortKey()
    {
        var shape = ContinuationToken.HashShape("shape");
        var token = ContinuationToken.Encode(shape, s_kinds, s_sortKey, s_key);

        var key = ContinuationToken.Decode(token, shape, s_kinds, s_key, "token");

        Assert.Equal((byte[])s_sortKey[0]!, (byte[])key[0]!);
        Assert.Equal(s_sortKey[1..], key[1..]);
        Assert.Equal(2, decimal.GetBits((decimal)key[1]!)[3] >> 16 & 0xFF);
    }

    [Fact]
    public void RejectsATokenWithAnyByteChanged()
    {
        var shape = ContinuationToken.HashShape("shape");
        var bytes = Base64Url.DecodeFromChars(ContinuationToken.Encode(shape, s_kinds, s_sortKey, s_key));
        for (var i = 0; i < bytes.Length; i++)
        {
            var tampered = (byte[])bytes.Clone();
            tampered[i] ^= 0x01;
            var error = Assert.Throws<ArgumentException>(() => ContinuationToken.Decode(Base64Url.EncodeToString(tampered), shape, s_kinds, s_key, "token"));
            Assert.Contains("altered", error.Message, StringComparison.Ordinal);
            Assert.Equal("token", error.ParamName);
        }
    }

    [Fact]
    public void RejectsATokenSignedWithAnotherKeyOrNotATokenAtAll()
    {
        var shape = ContinuationToken.HashShape("shape");
        var other = ContinuationToken.Encode(shape, s_kinds, s_sortKey, new byte[32]);

        Assert.Throws<ArgumentException>(() => ContinuationToken.Decode(other, shape, s_kinds, s_key, "token"));
        Assert.Throws<ArgumentException>(() => ContinuationToken.Decode("not a token!", shape, s_kinds, s_key, "token"));
        Assert.Throws<ArgumentException>(() => ContinuationToken.Decode("", shape, s_kinds, s_key, "token"));
    }

    [Fact]
    public void RejectsATokenOfAnotherQueryShapeSayingSo()
    {
        var token = ContinuationToken.Encode(ContinuationToken.HashShape("one"), s_kinds, s_sortKey, s_key);

        var error = Assert.Throws<ArgumentException>(() => ContinuationToken.Decode(token, ContinuationToken.HashShape("two"), s_kinds, s_key, "token"));

        Assert.Contains("different query", error.Message, StringComparison.Ordinal);
    }
}

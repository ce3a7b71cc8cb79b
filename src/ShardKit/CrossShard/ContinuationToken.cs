using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;

namespace ShardKit.CrossShard;

/// <summary>
/// The opaque continuation token of keyset pagination: the sort key of a page's last row (order ID included) and a hash
/// of the query's shape, followed by an HMAC-SHA256 tag over both, as base64url.
/// Layout: version (1 byte), shape hash (16), key count (1), per key a null flag (1) and the value
/// (Int64, Double bits, DateTime and TimeSpan ticks 8 bytes, Decimal 16, String a 2-byte length and its UTF-8 bytes), then the tag (16).
/// </summary>
internal static class ContinuationToken
{
    public const int ShapeHashLength = 16;
    private const byte Version = 1;
    private const int TagLength = 16;
    private const string Invalid = "The continuation token is invalid: it is damaged or was altered. Pass the ContinuationToken of the previous page unchanged.";

    /// <summary>The hash of a query's shape (a canonical text of everything that decides its rows and their order).</summary>
    public static byte[] HashShape(string shape) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(shape))[..ShapeHashLength];

    public static string Encode(byte[] shapeHash, ColumnKind[] kinds, object?[] key, byte[] signingKey)
    {
        var buffer = new List<byte>(64) { Version };
        buffer.AddRange(shapeHash);
        buffer.Add((byte)key.Length);
        Span<byte> scratch = stackalloc byte[16];
        for (var i = 0; i < key.Length; i++)
        {
            if (key[i] is null)
            {
                buffer.Add(0);
                continue;
            }

            buffer.Add(1);
            switch (kinds[i])
            {
                case ColumnKind.Int64:
                    BinaryPrimitives.WriteInt64LittleEndian(scratch, (long)key[i]!);
                    buffer.AddRange(scratch[..8]);
                    break;
                case ColumnKind.DateTime:
                    BinaryPrimitives.WriteInt64LittleEndian(scratch, ((DateTime)key[i]!).Ticks);
                    buffer.AddRange(scratch[..8]);
                    break;
                case ColumnKind.Time:
                    BinaryPrimitives.WriteInt64LittleEndian(scratch, ((TimeSpan)key[i]!).Ticks);
                    buffer.AddRange(scratch[..8]);
                    break;
                case ColumnKind.Double:
                    BinaryPrimitives.WriteDoubleLittleEndian(scratch, (double)key[i]!);
                    buffer.AddRange(scratch[..8]);
                    break;
                case ColumnKind.Decimal:
                    decimal.GetBits((decimal)key[i]!, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(scratch));
                    buffer.AddRange(scratch[..16]);
                    break;
                case ColumnKind.String:
                    var bytes = (byte[])key[i]!;
                    BinaryPrimitives.WriteUInt16LittleEndian(scratch, checked((ushort)bytes.Length));
                    buffer.AddRange(scratch[..2]);
                    buffer.AddRange(bytes);
                    break;
                default:
                    throw new InvalidOperationException($"A {kinds[i]} column cannot be part of a sort key.");
            }
        }

        var payload = buffer.ToArray();
        var tag = HMACSHA256.HashData(signingKey, payload).AsSpan(0, TagLength);
        return Base64Url.EncodeToString([.. payload, .. tag]);
    }

    /// <summary>Verifies a token's tag and shape and returns its sort key.</summary>
    /// <exception cref="ArgumentException">The token is malformed, altered, or belongs to a query of another shape.</exception>
    public static object?[] Decode(string token, byte[] shapeHash, ColumnKind[] kinds, byte[] signingKey, string paramName)
    {
        byte[] data;
        try
        {
            data = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException)
        {
            throw new ArgumentException(Invalid, paramName);
        }

        if (data.Length < 1 + ShapeHashLength + 1 + TagLength)
        {
            throw new ArgumentException(Invalid, paramName);
        }

        var payload = data.AsSpan(0, data.Length - TagLength);
        var expected = HMACSHA256.HashData(signingKey, payload);
        if (!CryptographicOperations.FixedTimeEquals(expected.AsSpan(0, TagLength), data.AsSpan(data.Length - TagLength)))
        {
            throw new ArgumentException(Invalid, paramName);
        }

        if (payload[0] != Version || !payload.Slice(1, ShapeHashLength).SequenceEqual(shapeHash))
        {
            throw new ArgumentException(
                "The continuation token belongs to a different query: the dimension, shards, filter, columns or sort differ from the query it was issued for. " +
                "Pass it only with the same query (the page size may change).",
                paramName);
        }

        var position = 1 + ShapeHashLength;
        if (payload[position++] != kinds.Length)
        {
            throw new ArgumentException(Invalid, paramName);
        }

        var key = new object?[kinds.Length];
        try
        {
            for (var i = 0; i < kinds.Length; i++)
            {
                if (payload[position++] == 0)
                {
                    continue;
                }

                switch (kinds[i])
                {
                    case ColumnKind.Int64:
                        key[i] = BinaryPrimitives.ReadInt64LittleEndian(payload.Slice(position, 8));
                        position += 8;
                        break;
                    case ColumnKind.DateTime:
                        key[i] = new DateTime(BinaryPrimitives.ReadInt64LittleEndian(payload.Slice(position, 8)));
                        position += 8;
                        break;
                    case ColumnKind.Time:
                        key[i] = new TimeSpan(BinaryPrimitives.ReadInt64LittleEndian(payload.Slice(position, 8)));
                        position += 8;
                        break;
                    case ColumnKind.Double:
                        key[i] = BinaryPrimitives.ReadDoubleLittleEndian(payload.Slice(position, 8));
                        position += 8;
                        break;
                    case ColumnKind.Decimal:
                        key[i] = new decimal(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(payload.Slice(position, 16)));
                        position += 16;
                        break;
                    default:
                        int length = BinaryPrimitives.ReadUInt16LittleEndian(payload.Slice(position, 2));
                        key[i] = payload.Slice(position + 2, length).ToArray();
                        position += 2 + length;
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is ArgumentException or ArgumentOutOfRangeException)
        {
            throw new ArgumentException(Invalid, paramName, ex);
        }

        return position == payload.Length ? key : throw new ArgumentException(Invalid, paramName);
    }
}

using System.Security.Cryptography;
using System.Text;

namespace ShardKit.MySqlClient.Protocol;

/// <summary>The client side of the mysql_native_password and caching_sha2_password authentication plugins.</summary>
internal static class AuthenticationMethods
{
    public const string NativePassword = "mysql_native_password";
    public const string CachingSha2Password = "caching_sha2_password";
    public const string ClearPassword = "mysql_clear_password";

    /// <summary>caching_sha2_password: the server accepted the scramble from its cache.</summary>
    public const byte FastAuthSuccess = 3;

    /// <summary>caching_sha2_password: the server needs the password itself (over TLS or RSA-encrypted).</summary>
    public const byte PerformFullAuthentication = 4;

    /// <summary>caching_sha2_password: the client asks for the server's RSA public key.</summary>
    public const byte RequestPublicKey = 2;

    /// <summary>SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password))); empty for an empty password.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "mysql_native_password is defined with SHA-1.")]
    public static byte[] ScrambleNative(string password, ReadOnlySpan<byte> scramble)
    {
        if (password.Length == 0)
        {
            return [];
        }

        var stage1 = SHA1.HashData(Encoding.UTF8.GetBytes(password));
        var stage2 = SHA1.HashData(stage1);
        var input = new byte[scramble.Length + stage2.Length];
        scramble.CopyTo(input);
        stage2.CopyTo(input, scramble.Length);
        var mask = SHA1.HashData(input);
        for (var i = 0; i < stage1.Length; i++)
        {
            stage1[i] ^= mask[i];
        }

        return stage1;
    }

    /// <summary>SHA256(password) XOR SHA256(SHA256(SHA256(password)) + nonce); empty for an empty password.</summary>
    public static byte[] ScrambleCachingSha2(string password, ReadOnlySpan<byte> nonce)
    {
        if (password.Length == 0)
        {
            return [];
        }

        var stage1 = SHA256.HashData(Encoding.UTF8.GetBytes(password));
        var stage2 = SHA256.HashData(stage1);
        var input = new byte[stage2.Length + nonce.Length];
        stage2.CopyTo(input, 0);
        nonce.CopyTo(input.AsSpan(stage2.Length));
        var mask = SHA256.HashData(input);
        for (var i = 0; i < stage1.Length; i++)
        {
            stage1[i] ^= mask[i];
        }

        return stage1;
    }

    /// <summary>The password with a NUL terminator, for full authentication over TLS.</summary>
    public static byte[] ClearTextPassword(string password)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(password) + 1];
        Encoding.UTF8.GetBytes(password, bytes);
        return bytes;
    }

    /// <summary>
    /// (password + NUL) XOR the nonce (repeated), encrypted with the server's RSA public key using OAEP padding
    /// (SHA-1), as caching_sha2_password full authentication expects on an unencrypted connection.
    /// </summary>
    public static byte[] EncryptPassword(string password, ReadOnlySpan<byte> nonce, string publicKeyPem)
    {
        var plain = ClearTextPassword(password);
        if (nonce.Length > 0)
        {
            for (var i = 0; i < plain.Length; i++)
            {
                plain[i] ^= nonce[i % nonce.Length];
            }
        }

        using var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(publicKeyPem);
        }
        catch (ArgumentException ex)
        {
            throw new MySqlException(MySqlErrorCode.AuthenticationFailed, null, "The server's RSA public key is not a valid PEM public key.", ex);
        }
        catch (CryptographicException ex)
        {
            throw new MySqlException(MySqlErrorCode.AuthenticationFailed, null, "The server's RSA public key could not be imported.", ex);
        }

        return rsa.Encrypt(plain, RSAEncryptionPadding.OaepSHA1);
    }
}

using System.Security.Cryptography;
using System.Text;

namespace ShardKit.Schema;

/// <summary>Splits a DDL script into statements and computes the checksum that identifies it in the schema log.</summary>
internal static class SqlScript
{
    /// <summary>
    /// Splits on <c>;</c> outside quotes (<c>'</c>, <c>"</c>, <c>`</c>) and comments (<c>-- </c>, <c>#</c>,
    /// <c>/* */</c>). Returns the non-empty statements, trimmed, without the separator.
    /// </summary>
    public static List<string> Split(string script)
    {
        var statements = new List<string>();
        var start = 0;
        var i = 0;
        while (i < script.Length)
        {
            var c = script[i];
            if (c is '\'' or '"' or '`')
            {
                i = SkipQuoted(script, i, c);
            }
            else if (c == '#' || (c == '-' && i + 2 < script.Length && script[i + 1] == '-' && char.IsWhiteSpace(script[i + 2])))
            {
                var end = script.IndexOf('\n', i);
                i = end < 0 ? script.Length : end + 1;
            }
            else if (c == '/' && i + 1 < script.Length && script[i + 1] == '*')
            {
                var end = script.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? script.Length : end + 2;
            }
            else if (c == ';')
            {
                Add(statements, script[start..i]);
                start = ++i;
            }
            else
            {
                i++;
            }
        }

        Add(statements, script[start..]);
        return statements;
    }

    /// <summary>SHA-256 of the script with line endings normalized, as 64 lower-case hex digits.</summary>
    public static string Checksum(string script)
    {
        var normalized = script.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)));
    }

    private static int SkipQuoted(string script, int i, char quote)
    {
        i++;
        while (i < script.Length)
        {
            if (script[i] == '\\' && quote != '`')
            {
                i += 2;
            }
            else if (script[i] == quote)
            {
                if (i + 1 < script.Length && script[i + 1] == quote)
                {
                    i += 2;
                }
                else
                {
                    return i + 1;
                }
            }
            else
            {
                i++;
            }
        }

        return i;
    }

    private static void Add(List<string> statements, string text)
    {
        var statement = text.Trim();
        if (statement.Length > 0 && !IsOnlyComments(statement))
        {
            statements.Add(statement);
        }
    }

    private static bool IsOnlyComments(string statement)
    {
        foreach (var line in statement.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.Length > 0 && !trimmed.StartsWith('#') && !trimmed.StartsWith("--", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}

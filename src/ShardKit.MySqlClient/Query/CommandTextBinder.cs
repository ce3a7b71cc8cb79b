using System.Buffers;
using ShardKit.MySqlClient.Protocol;
using ShardKit.MySqlClient.Types;

namespace ShardKit.MySqlClient.Query;

/// <summary>
/// Writes SQL text into a COM_QUERY payload, replacing parameter placeholders (<c>@name</c>, <c>?name</c>,
/// positional <c>?</c>) with escaped literals. A small tokenizer skips string literals ('..', ".."), quoted
/// identifiers (`..`), comments (-- , #, /* */) and system variables (@@name), so text inside them is never
/// treated as a placeholder. Backslash escapes in literals are honoured unless NO_BACKSLASH_ESCAPES is on.
/// </summary>
internal static class CommandTextBinder
{
    /// <summary>The characters the tokenizer acts on; the text between them is skipped with a vectorized search.</summary>
    private static readonly SearchValues<char> s_specialCharacters = SearchValues.Create("'\"`#-/@?");

    public static void Bind(PayloadBuilder builder, string sql, MySqlParameterCollection? parameters, bool noBackslashEscapes, bool allowUserVariables)
    {
        if (parameters is null || parameters.Count == 0)
        {
            if (allowUserVariables || !MayContainPlaceholder(sql))
            {
                builder.WriteUtf8(sql);
                return;
            }
        }

        var segmentStart = 0;
        var positional = 0;
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            switch (c)
            {
                case '\'':
                case '"':
                    i = SkipQuoted(sql, i, c, noBackslashEscapes);
                    continue;
                case '`':
                    i = SkipQuoted(sql, i, '`', noBackslashEscapes: true);
                    continue;
                case '#':
                    i = SkipToEndOfLine(sql, i);
                    continue;
                case '-' when i + 1 < sql.Length && sql[i + 1] == '-' && (i + 2 == sql.Length || char.IsWhiteSpace(sql[i + 2]) || char.IsControl(sql[i + 2])):
                    i = SkipToEndOfLine(sql, i);
                    continue;
                case '/' when i + 1 < sql.Length && sql[i + 1] == '*':
                {
                    var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                    i = end < 0 ? sql.Length : end + 2;
                    continue;
                }

                case '@':
                {
                    if (i + 1 < sql.Length && sql[i + 1] == '@')
                    {
                        i = SkipName(sql, i + 2);
                        continue;
                    }

                    if (i > 0 && IsNameChar(sql[i - 1]))
                    {
                        // user@host in account names, not a placeholder.
                        i++;
                        continue;
                    }

                    var nameEnd = SkipName(sql, i + 1);
                    if (nameEnd == i + 1)
                    {
                        i++;
                        continue;
                    }

                    var name = sql.AsSpan(i + 1, nameEnd - i - 1);
                    var parameter = parameters?.Find(name);
                    if (parameter is null)
                    {
                        if (!allowUserVariables)
                        {
                            throw new ArgumentException(
                                $"The SQL refers to '@{name}', but no parameter of that name was added. To use '@{name}' as a MySQL user variable, set 'Allow User Variables=true' in the connection string.",
                                nameof(parameters));
                        }

                        i = nameEnd;
                        continue;
                    }

                    builder.WriteUtf8(sql.AsSpan(segmentStart, i - segmentStart));
                    SqlLiteralWriter.Write(builder, parameter.ParameterName, parameter.Value, parameter.ExplicitDbType, noBackslashEscapes);
                    i = segmentStart = nameEnd;
                    continue;
                }

                case '?':
                {
                    var nameEnd = SkipName(sql, i + 1);
                    MySqlParameter? parameter;
                    if (nameEnd > i + 1)
                    {
                        var name = sql.AsSpan(i + 1, nameEnd - i - 1);
                        parameter = parameters?.Find(name)
                            ?? throw new ArgumentException($"The SQL refers to '?{name}', but no parameter of that name was added.", nameof(parameters));
                    }
                    else
                    {
                        if (parameters is null || positional >= parameters.Count)
                        {
                            throw new ArgumentException(
                                $"The SQL has more positional '?' placeholders than the {parameters?.Count ?? 0} parameter(s) added.", nameof(parameters));
                        }

                        parameter = parameters[positional++];
                    }

                    builder.WriteUtf8(sql.AsSpan(segmentStart, i - segmentStart));
                    SqlLiteralWriter.Write(builder, parameter.ParameterName, parameter.Value, parameter.ExplicitDbType, noBackslashEscapes);
                    i = segmentStart = nameEnd;
                    continue;
                }

                default:
                {
                    // Jump to the next character that can start a literal, comment or placeholder.
                    var next = sql.AsSpan(i + 1).IndexOfAny(s_specialCharacters);
                    i = next < 0 ? sql.Length : i + 1 + next;
                    continue;
                }
            }
        }

        builder.WriteUtf8(sql.AsSpan(segmentStart));
    }

    private static bool MayContainPlaceholder(string sql) => sql.AsSpan().IndexOfAny('@', '?') >= 0;

    private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    private static int SkipName(string sql, int start)
    {
        var i = start;
        while (i < sql.Length && IsNameChar(sql[i]))
        {
            i++;
        }

        return i;
    }

    private static int SkipToEndOfLine(string sql, int start)
    {
        var end = sql.IndexOf('\n', start);
        return end < 0 ? sql.Length : end + 1;
    }

    /// <summary>Returns the index after the closing quote (doubled quotes and, optionally, backslash escapes stay inside).</summary>
    private static int SkipQuoted(string sql, int start, char quote, bool noBackslashEscapes)
    {
        var i = start + 1;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c == '\\' && !noBackslashEscapes)
            {
                i += 2;
                continue;
            }

            if (c == quote)
            {
                if (i + 1 < sql.Length && sql[i + 1] == quote)
                {
                    i += 2;
                    continue;
                }

                return i + 1;
            }

            i++;
        }

        return sql.Length;
    }
}

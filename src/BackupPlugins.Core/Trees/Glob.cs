// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;

namespace BackupPlugins.Core.Trees;

/// <summary>
/// Shell-style glob on raw bytes: <c>*</c> (not across '/'), <c>**</c> (across '/'), <c>?</c>, <c>[abc]</c>,
/// <c>[!a-z]</c>, <c>\x</c> for a literal x.
/// </summary>
public sealed class Glob(string pattern)
{
    private readonly byte[] _pattern = Encoding.UTF8.GetBytes(pattern);

    public string Pattern { get; } = pattern;

    public bool HasWildcards => _pattern.AsSpan().IndexOfAny("*?[\\"u8) >= 0;

    public bool IsMatch(ReadOnlySpan<byte> text) => Match(_pattern, text);

    private static bool Match(ReadOnlySpan<byte> p, ReadOnlySpan<byte> t)
    {
        while (!p.IsEmpty)
        {
            switch (p[0])
            {
                case (byte)'*':
                    var crossSlash = p.Length > 1 && p[1] == (byte)'*';
                    var rest = p[(crossSlash ? 2 : 1)..];
                    if (crossSlash && rest.Length > 0 && rest[0] == (byte)'/')
                    {
                        // "**/x" also matches "x" at this level.
                        if (Match(rest[1..], t))
                        {
                            return true;
                        }
                    }
                    for (var i = 0; i <= t.Length; i++)
                    {
                        if (Match(rest, t[i..]))
                        {
                            return true;
                        }
                        if (i < t.Length && t[i] == (byte)'/' && !crossSlash)
                        {
                            return false;
                        }
                    }
                    return false;
                case (byte)'?':
                    if (t.IsEmpty || t[0] == (byte)'/')
                    {
                        return false;
                    }
                    p = p[1..];
                    t = t[1..];
                    break;
                case (byte)'[':
                    if (t.IsEmpty || !MatchClass(ref p, t[0]))
                    {
                        return false;
                    }
                    t = t[1..];
                    break;
                case (byte)'\\' when p.Length > 1:
                    if (t.IsEmpty || t[0] != p[1])
                    {
                        return false;
                    }
                    p = p[2..];
                    t = t[1..];
                    break;
                default:
                    if (t.IsEmpty || t[0] != p[0])
                    {
                        return false;
                    }
                    p = p[1..];
                    t = t[1..];
                    break;
            }
        }
        return t.IsEmpty;
    }

    private static bool MatchClass(ref ReadOnlySpan<byte> p, byte c)
    {
        var i = 1;
        var negate = i < p.Length && (p[i] == (byte)'!' || p[i] == (byte)'^');
        if (negate)
        {
            i++;
        }
        var matched = false;
        var first = true;
        while (i < p.Length && (first || p[i] != (byte)']'))
        {
            first = false;
            var lo = p[i];
            if (i + 2 < p.Length && p[i + 1] == (byte)'-' && p[i + 2] != (byte)']')
            {
                matched |= c >= lo && c <= p[i + 2];
                i += 3;
            }
            else
            {
                matched |= c == lo;
                i++;
            }
        }
        if (i >= p.Length)
        {
            // No closing bracket: treat '[' literally.
            p = p[1..];
            return c == (byte)'[';
        }
        p = p[(i + 1)..];
        return matched != negate && c != (byte)'/';
    }
}

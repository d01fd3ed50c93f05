// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers;
using System.Text;

namespace BackupPlugins.Core.Trees;

/// <summary>
/// Reversible mapping between raw file-name bytes and the UTF-8 text Bareos's Python layer can carry.
/// Valid UTF-8 passes unchanged, except characters U+F700..U+F7FF (private use); every byte that is not
/// part of valid UTF-8, and every byte of such a private-use character, becomes U+F700 + byte. Decoding
/// turns every U+F7xx back into the byte xx. Names that are plain UTF-8 (nearly all) are not changed.
/// </summary>
public static class BareosNames
{
    private const int EscapeBase = 0xF700;

    public static byte[] Encode(ReadOnlySpan<byte> raw)
    {
        if (IsPlain(raw))
        {
            return raw.ToArray();
        }
        var sb = new StringBuilder(raw.Length + 8);
        var rest = raw;
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(rest, out var rune, out var used);
            if (status == OperationStatus.Done && !IsEscapeRange(rune.Value))
            {
                sb.Append(rune.ToString());
            }
            else
            {
                used = Math.Max(used, 1);
                for (var i = 0; i < used; i++)
                {
                    sb.Append((char)(EscapeBase + rest[i]));
                }
            }
            rest = rest[used..];
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static byte[] Decode(ReadOnlySpan<byte> encoded)
    {
        var text = Encoding.UTF8.GetString(encoded);
        var hasEscape = false;
        foreach (var c in text)
        {
            if (IsEscapeRange(c))
            {
                hasEscape = true;
                break;
            }
        }
        if (!hasEscape)
        {
            return encoded.ToArray();
        }
        var output = new List<byte>(encoded.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsEscapeRange(rune.Value))
            {
                output.Add((byte)(rune.Value - EscapeBase));
            }
            else
            {
                var n = rune.EncodeToUtf8(utf8);
                for (var i = 0; i < n; i++)
                {
                    output.Add(utf8[i]);
                }
            }
        }
        return [.. output];
    }

    private static bool IsEscapeRange(int codePoint) => codePoint is >= EscapeBase and <= EscapeBase + 0xFF;

    private static bool IsPlain(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOfAnyExceptInRange((byte)0x01, (byte)0x7F) < 0)
        {
            return true;
        }
        if (!System.Text.Unicode.Utf8.IsValid(raw))
        {
            return false;
        }
        // U+F700..U+F7FF is EF 9C 80 .. EF 9F BF in UTF-8.
        for (var i = 0; i + 1 < raw.Length; i++)
        {
            if (raw[i] == 0xEF && raw[i + 1] is >= 0x9C and <= 0x9F)
            {
                return false;
            }
        }
        return true;
    }
}

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

    /// <summary>
    /// For a client that carries names as bytes (the grpc-fd module): the raw name, unless it holds a character
    /// U+F700..U+F7FF, which <see cref="Decode"/> would take for an escape; such a name is escaped as <see cref="Encode"/>
    /// does. So one decoding reads names recorded by either kind of client.
    /// </summary>
    public static byte[] ForBytes(ReadOnlySpan<byte> raw) => HasEscapeRange(raw) ? Encode(raw) : raw.ToArray();

    /// <summary>
    /// Every U+F7xx back to the byte xx. Bytes that are not valid UTF-8 (a name as the grpc-fd module carries it) are
    /// kept as they are.
    /// </summary>
    public static byte[] Decode(ReadOnlySpan<byte> encoded)
    {
        if (!HasEscapeRange(encoded))
        {
            return encoded.ToArray();
        }
        var output = new List<byte>(encoded.Length);
        var rest = encoded;
        while (!rest.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(rest, out var rune, out var used);
            used = Math.Max(used, 1);
            if (status == OperationStatus.Done && IsEscapeRange(rune.Value))
            {
                output.Add((byte)(rune.Value - EscapeBase));
            }
            else
            {
                for (var i = 0; i < used; i++)
                {
                    output.Add(rest[i]);
                }
            }
            rest = rest[used..];
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
        return System.Text.Unicode.Utf8.IsValid(raw) && !HasEscapeRange(raw);
    }

    /// <summary>Whether the bytes hold the UTF-8 of a character U+F700..U+F7FF (EF 9C 80 .. EF 9F BF).</summary>
    private static bool HasEscapeRange(ReadOnlySpan<byte> raw)
    {
        for (var i = raw.IndexOf((byte)0xEF); i >= 0 && i + 2 < raw.Length; i = raw[(i + 1)..].IndexOf((byte)0xEF) is var next and >= 0 ? i + 1 + next : -1)
        {
            if (raw[i + 1] is >= 0x9C and <= 0x9F && raw[i + 2] is >= 0x80 and <= 0xBF)
            {
                return true;
            }
        }
        return false;
    }
}

// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;

namespace BackupPlugins.Core.Posix;

/// <summary>Helpers for paths held as raw bytes, the way the kernel sees them.</summary>
public static class PosixPath
{
    public static byte[] FromString(string path) => Encoding.UTF8.GetBytes(path);

    /// <summary>Readable form for messages: invalid bytes shown as \xNN.</summary>
    public static string Display(ReadOnlySpan<byte> path)
    {
        var sb = new StringBuilder(path.Length);
        var rest = path;
        while (!rest.IsEmpty)
        {
            var status = System.Text.Rune.DecodeFromUtf8(rest, out var rune, out var used);
            if (status == System.Buffers.OperationStatus.Done)
            {
                sb.Append(rune.ToString());
            }
            else
            {
                for (var i = 0; i < Math.Max(used, 1); i++)
                {
                    sb.Append($"\\x{rest[i]:x2}");
                }
                used = Math.Max(used, 1);
            }
            rest = rest[used..];
        }
        return sb.ToString();
    }

    public static byte[] Join(ReadOnlySpan<byte> dir, ReadOnlySpan<byte> name)
    {
        if (dir.Length > 0 && dir[^1] == (byte)'/')
        {
            return [.. dir, .. name];
        }
        return [.. dir, (byte)'/', .. name];
    }

    /// <summary>Splits on '/', dropping empty parts.</summary>
    public static List<byte[]> Components(ReadOnlySpan<byte> path)
    {
        var parts = new List<byte[]>();
        foreach (var range in path.Split((byte)'/'))
        {
            var part = path[range];
            if (!part.IsEmpty)
            {
                parts.Add(part.ToArray());
            }
        }
        return parts;
    }

    public static byte[] Parent(ReadOnlySpan<byte> path)
    {
        var trimmed = path.TrimEnd((byte)'/');
        var slash = trimmed.LastIndexOf((byte)'/');
        return slash switch
        {
            < 0 => ".."u8.ToArray(),
            0 => "/"u8.ToArray(),
            _ => trimmed[..slash].ToArray(),
        };
    }

    public static bool IsAbsolute(ReadOnlySpan<byte> path) => path.Length > 0 && path[0] == (byte)'/';
}

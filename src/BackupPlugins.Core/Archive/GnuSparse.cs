// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace BackupPlugins.Core.Archive;

/// <summary>
/// GNU tar's pax sparse format 1.0 (understood by GNU tar and libarchive): extended headers
/// <c>GNU.sparse.major=1</c>, <c>minor=0</c>, <c>name</c> and <c>realsize</c>; the member's data starts with the map —
/// the number of data regions, then each region's offset and length, one decimal per line, padded to 512 bytes —
/// followed by the regions' bytes. Holes take no room in the archive.
/// </summary>
public static class GnuSparse
{
    public const string Major = "GNU.sparse.major", Minor = "GNU.sparse.minor", Name = "GNU.sparse.name", RealSize = "GNU.sparse.realsize";

    public static byte[] Map(IReadOnlyList<(long Offset, long Length)> extents)
    {
        var text = new StringBuilder().Append(extents.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (offset, length) in extents)
        {
            text.Append(offset.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        var padded = new byte[(bytes.Length + 511) / 512 * 512];
        bytes.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>Reads the map at the start of a member's data (consuming the padded block).</summary>
    public static async Task<List<(long Offset, long Length)>> ReadMapAsync(Stream data, CancellationToken cancellationToken)
    {
        var consumed = 0L;
        async Task<long> NumberAsync()
        {
            var digits = new StringBuilder();
            var one = new byte[1];
            while (true)
            {
                if (await data.ReadAsync(one, cancellationToken) == 0)
                {
                    throw new InvalidDataException("the sparse map ends early");
                }
                consumed++;
                if (one[0] == (byte)'\n')
                {
                    return long.Parse(digits.ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
                }
                digits.Append((char)one[0]);
            }
        }
        var count = await NumberAsync();
        var extents = new List<(long, long)>();
        for (var i = 0; i < count; i++)
        {
            extents.Add((await NumberAsync(), await NumberAsync()));
        }
        var padding = (512 - consumed % 512) % 512;
        await data.ReadExactlyAsync(new byte[padding], cancellationToken);
        return extents;
    }

    /// <summary>A seekable view of map + data regions of an open file: what the archive stores for it.</summary>
    public sealed class DataStream(SafeFileHandle file, byte[] map, IReadOnlyList<(long Offset, long Length)> extents) : Stream
    {
        private readonly long[] _starts = Starts(map.Length, extents);
        private long _position;

        private static long[] Starts(long first, IReadOnlyList<(long Offset, long Length)> extents)
        {
            var starts = new long[extents.Count];
            for (var i = 0; i < extents.Count; i++)
            {
                starts[i] = first;
                first += extents[i].Length;
            }
            return starts;
        }

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => map.Length + extents.Sum(e => e.Length);
        public override long Position { get => _position; set => _position = value; }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position < map.Length)
            {
                var n = (int)Math.Min(buffer.Length, map.Length - _position);
                map.AsSpan((int)_position, n).CopyTo(buffer);
                _position += n;
                return n;
            }
            for (var i = 0; i < extents.Count; i++)
            {
                var within = _position - _starts[i];
                if (within >= 0 && within < extents[i].Length)
                {
                    var n = (int)Math.Min(buffer.Length, extents[i].Length - within);
                    n = RandomAccess.Read(file, buffer[..n], extents[i].Offset + within);
                    _position += n;
                    return n;
                }
            }
            return 0;
        }

        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

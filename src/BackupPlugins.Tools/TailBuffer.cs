// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;

namespace BackupPlugins.Tools;

/// <summary>Keeps only the last <c>capacity</c> bytes of a stream (a command's stderr).</summary>
internal sealed class TailBuffer(int capacity)
{
    private readonly byte[] _ring = new byte[capacity];
    private long _total;
    private readonly Lock _lock = new();

    public async Task FillAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            Append(buffer.AsSpan(0, n));
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            foreach (var b in data)
            {
                _ring[_total % capacity] = b;
                _total++;
            }
        }
    }

    public string Text
    {
        get
        {
            lock (_lock)
            {
                if (_total <= capacity)
                {
                    return Encoding.UTF8.GetString(_ring, 0, (int)_total);
                }
                var start = (int)(_total % capacity);
                var bytes = _ring[start..].Concat(_ring[..start]).ToArray();
                return "…" + Encoding.UTF8.GetString(bytes);
            }
        }
    }
}

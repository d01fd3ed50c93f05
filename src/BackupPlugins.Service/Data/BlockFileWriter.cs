// SPDX-License-Identifier: AGPL-3.0-or-later
using Microsoft.Win32.SafeHandles;

namespace BackupPlugins.Service.Data;

/// <summary>
/// Writes a stream of pieces (WriteFile's messages) to a file: small ones gathered into blocks of 1 MiB, pieces of
/// 64 KiB or more that arrive while nothing waits written as they are (a copy costs more than the system call).
/// Writes run on the calling thread: a page-cache write is shorter than the hand-off an asynchronous write costs.
/// </summary>
internal sealed class BlockFileWriter(SafeFileHandle file)
{
    private const int BlockSize = 1 << 20;
    private const int DirectSize = 64 << 10;

    private readonly byte[] _block = new byte[BlockSize];
    private int _filled;

    /// <summary>Bytes taken so far (written or waiting in the block).</summary>
    public long Length { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_filled == 0 && data.Length >= DirectSize)
        {
            RandomAccess.Write(file, data, Length);
            Length += data.Length;
            return;
        }
        while (!data.IsEmpty)
        {
            var n = Math.Min(data.Length, BlockSize - _filled);
            data[..n].CopyTo(_block.AsSpan(_filled));
            _filled += n;
            Length += n;
            data = data[n..];
            if (_filled == BlockSize)
            {
                Flush();
            }
        }
    }

    public void Flush()
    {
        if (_filled > 0)
        {
            RandomAccess.Write(file, _block.AsSpan(0, _filled), Length - _filled);
            _filled = 0;
        }
    }
}

// SPDX-License-Identifier: AGPL-3.0-or-later
using Microsoft.Win32.SafeHandles;

namespace BackupPlugins.Core.Sources;

/// <summary>
/// Where a driver writes an entry's data (<see cref="ISourceDriver.WriteDataAsync"/>): a stream, plus a fast way
/// to send a whole open file that a sink may implement without copying through user space (sendfile).
/// </summary>
public class DataSink(Stream stream)
{
    public Stream Stream { get; } = stream;

    /// <summary>Bytes written so far.</summary>
    public virtual long Written => Stream.CanSeek ? Stream.Position : _copied;

    private long _copied;

    /// <summary>
    /// Moves everything <paramref name="source"/> (a command's standard output) produces into the sink, to its end.
    /// A sink may do it without copying through user space (splice from the pipe).
    /// </summary>
    public virtual async Task CopyFromAsync(Stream source, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        int n;
        while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await Stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            _copied += n;
        }
    }

    /// <summary>
    /// Moves everything that still comes on <paramref name="source"/> (a connection whose peer sends a body until it
    /// closes) into the sink. A sink may do it without copying through user space (splice through a pipe).
    /// </summary>
    public virtual async Task CopyFromSocketAsync(System.Net.Sockets.Socket source, CancellationToken cancellationToken)
    {
        await using var stream = new System.Net.Sockets.NetworkStream(source, ownsSocket: false);
        await CopyFromAsync(stream, cancellationToken);
    }

    /// <summary>Sends the rest of <paramref name="file"/> (from its current offset) to the sink.</summary>
    public virtual async Task SendFileAsync(SafeFileHandle file, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        long offset = 0;
        int n;
        while ((n = await RandomAccess.ReadAsync(file, buffer, offset, cancellationToken)) > 0)
        {
            await Stream.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            offset += n;
            _copied += n;
        }
    }
}

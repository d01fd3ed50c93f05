// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Runtime.InteropServices;

namespace BackupPlugins.Cli.Bpipe;

/// <summary>
/// Standard input or output of a bpipe command, read and written so that a cancel ends a blocked call: the descriptor
/// is non-blocking and waited on with poll(2) in short slices. (A blocking write into a pipe the file daemon no longer
/// reads would never return, and the job's cleanup behind it would never run.) Not Console.OpenStandardOutput():
/// that stream pretends a write into a closed pipe succeeded, and a reader whose consumer is gone must fail.
/// </summary>
internal sealed partial class PipeEnd : Stream
{
    private const int EAGAIN = 11, EINTR = 4, FGetFl = 3, FSetFl = 4, ONonBlock = 0x800;
    private const short PollIn = 1, PollOut = 4;
    private readonly int _fd;
    private readonly FileAccess _access;
    private readonly CancellationToken _cancel;
    private readonly int _flags;

    public PipeEnd(int fd, FileAccess access, CancellationToken cancel)
    {
        (_fd, _access, _cancel) = (fd, access, cancel);
        _flags = fcntl(fd, FGetFl, 0);
        fcntl(fd, FSetFl, _flags | ONonBlock);
    }

    /// <summary>The flags belong to the open file, which a terminal shares with the shell: they are put back.</summary>
    protected override void Dispose(bool disposing)
    {
        if (_flags >= 0)
        {
            fcntl(_fd, FSetFl, _flags);
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => _access == FileAccess.Read;
    public override bool CanWrite => _access == FileAccess.Write;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (true)
        {
            var n = read(_fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (n >= 0)
            {
                return (int)n;
            }
            Wait(PollIn, "reading standard input");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = write(_fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (n >= 0)
            {
                buffer = buffer[(int)n..];
                continue;
            }
            Wait(PollOut, "writing standard output");
        }
    }

    // The async forms run the same loop on the calling thread: a bpipe command has nothing else to do meanwhile.
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer, offset, count);
        return Task.CompletedTask;
    }

    /// <summary>After EAGAIN: waits until the descriptor is ready, in 200 ms slices, giving up on cancel.</summary>
    private void Wait(short events, string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        if (errno is not (EAGAIN or EINTR))
        {
            throw new IOException($"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        var poll = new PollFd { Fd = _fd, Events = events };
        while (true)
        {
            _cancel.ThrowIfCancellationRequested();
            if (PollOnce(ref poll, 200) != 0)
            {
                return; // ready, or an error/hang-up the next read or write reports
            }
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    private static int PollOnce(ref PollFd fd, int timeoutMs) => poll(ref fd, 1, timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, ref byte buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int poll(ref PollFd fds, nuint count, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);
}

// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BackupPlugins.Core.Sources;
using Microsoft.Win32.SafeHandles;

namespace BackupPlugins.Service.Data;

/// <summary>A data connection: whole files go out with sendfile(2), command output with splice(2), never through this process.</summary>
internal sealed partial class SocketDataSink(Socket socket, WatchedStream stream) : DataSink(stream)
{
    private const int Chunk = 4 << 20;
    private const int EINTR = 4, EAGAIN = 11;

    public override long Written => stream.Written;

    public override Task SendFileAsync(SafeFileHandle file, CancellationToken cancellationToken) =>
        PumpAsync("sendfile", outFd => sendfile(outFd, (int)file.DangerousGetHandle(), 0, Chunk), cancellationToken);

    /// <summary>A command's output pipe goes into the socket with splice(2): no copy through this process.</summary>
    public override Task CopyFromAsync(Stream source, CancellationToken cancellationToken)
    {
        if (source is not System.IO.Pipes.PipeStream pipe)
        {
            return base.CopyFromAsync(source, cancellationToken);
        }
        var inFd = (int)pipe.SafePipeHandle.DangerousGetHandle();
        fcntl(inFd, SetPipeSize, PipeSize); // fewer, larger splices and fewer stalls of the command (best effort)
        return PumpAsync("splice", outFd => splice(inFd, 0, outFd, 0, Chunk, SpliceMove | SpliceMore), cancellationToken);
    }

    /// <summary>
    /// Repeats a kernel-side copy into the socket (<paramref name="step"/> returns bytes moved, 0 at the end, -1 with
    /// errno) on a thread of its own. Cancel (or the stall watchdog) shuts the socket down, which ends a blocked call.
    /// The socket's descriptor stays non-blocking once .NET has used it asynchronously (the token was read so), whatever
    /// <see cref="Socket.Blocking"/> says: a full socket answers EAGAIN, and the pump waits in poll(2) until it can
    /// write (retrying at once spun a core: 15,000 calls a second, 7 s of CPU per GiB, measured in a real Bareos job).
    /// </summary>
    private Task PumpAsync(string call, Func<int, nint> step, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() =>
        {
            using var _ = cancellationToken.Register(() => socket.Shutdown(SocketShutdown.Both));
            socket.Blocking = true;
            var outFd = (int)socket.Handle;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var n = step(outFd);
                if (n > 0)
                {
                    stream.Advance(n);
                    continue;
                }
                if (n == 0)
                {
                    return;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EAGAIN)
                {
                    WaitWritable(outFd); // the socket's buffer is full
                    continue;
                }
                if (errno == EINTR)
                {
                    continue;
                }
                cancellationToken.ThrowIfCancellationRequested();
                throw new IOException($"{call} into the data connection failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Blocks until the socket can take data, it fails, or a second passes (the caller then tries again).</summary>
    private static unsafe void WaitWritable(int fd)
    {
        var entry = new PollFd { Fd = fd, Events = PollOut };
        poll(&entry, 1, 1000);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    private const short PollOut = 4;

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    private const uint SpliceMove = 1, SpliceMore = 4;
    private const int SetPipeSize = 1031, PipeSize = 1 << 20;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendfile(int outFd, int inFd, nint offset, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nint len, uint flags);
}

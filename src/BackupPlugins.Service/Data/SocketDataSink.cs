// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BackupPlugins.Core.Sources;
using Microsoft.Win32.SafeHandles;

namespace BackupPlugins.Service.Data;

/// <summary>
/// A data connection: whole files go out with sendfile(2), command output and HTTP bodies with splice(2), never through
/// this process.
/// </summary>
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
    /// A connection's remaining bytes (an HTTP body that ends when its sender closes) go into the data connection with
    /// splice(2) through a pipe of our own: socket to pipe, pipe to socket, never through this process. The source's
    /// descriptor is non-blocking as .NET leaves it: an empty source is waited for in poll(2).
    /// </summary>
    public override Task CopyFromSocketAsync(Socket source, CancellationToken cancellationToken)
    {
        var inFd = (int)source.Handle;
        KernelPipe? pipe = null; // made on the pump's thread, so that whatever ends the pump closes it
        nint inPipe = 0;
        var eof = false;
        return PumpAsync("splice", outFd =>
        {
            pipe ??= Pipe();
            while (inPipe == 0 && !eof)
            {
                cancellationToken.ThrowIfCancellationRequested(); // a cancel shuts the source down, which would read as its end
                var n = splice(inFd, 0, pipe.Write, 0, Chunk, SpliceMove | SpliceMore | SpliceNonBlock);
                if (n > 0)
                {
                    inPipe = n;
                }
                else if (n == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    eof = true;
                }
                else if (Marshal.GetLastPInvokeError() is var errno && errno == EAGAIN)
                {
                    Wait(inFd, PollIn);
                }
                else if (errno != EINTR)
                {
                    throw new IOException($"splice from the export's connection failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
            }
            if (inPipe == 0)
            {
                return 0;
            }
            var moved = splice(pipe.Read, 0, outFd, 0, inPipe, SpliceMove | SpliceMore);
            if (moved > 0)
            {
                inPipe -= moved;
            }
            return moved;
        }, cancellationToken, onCancel: () => source.Shutdown(SocketShutdown.Both), onEnd: () => pipe?.Dispose());
    }

    /// <summary>
    /// Repeats a kernel-side copy into the socket (<paramref name="step"/> returns bytes moved, 0 at the end, -1 with
    /// errno) on a thread of its own. Cancel (or the stall watchdog) shuts the socket down, which ends a blocked call.
    /// The socket's descriptor stays non-blocking once .NET has used it asynchronously (the token was read so), whatever
    /// <see cref="Socket.Blocking"/> says: a full socket answers EAGAIN, and the pump waits in poll(2) until it can
    /// write (retrying at once spun a core: 15,000 calls a second, 7 s of CPU per GiB, measured in a real Bareos job).
    /// </summary>
    private Task PumpAsync(string call, Func<int, nint> step, CancellationToken cancellationToken, Action? onCancel = null, Action? onEnd = null) =>
        Task.Factory.StartNew(() =>
        {
            using var _ = cancellationToken.Register(() =>
            {
                socket.Shutdown(SocketShutdown.Both);
                onCancel?.Invoke();
            });
            using var end = onEnd is null ? null : new Finally(onEnd);
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
                    Wait(outFd, PollOut); // the socket's buffer is full
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

    /// <summary>Blocks until the descriptor can take (PollOut) or give (PollIn) data, it fails, or a second passes (the caller then tries again).</summary>
    private static unsafe void Wait(int fd, short events)
    {
        var entry = new PollFd { Fd = fd, Events = events };
        poll(&entry, 1, 1000);
    }

    private sealed class Finally(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    /// <summary>A pipe of 1 MiB (best effort) between a socket and the data connection; closed by Dispose.</summary>
    private sealed class KernelPipe(int read, int write) : IDisposable
    {
        public int Read { get; } = read;
        public int Write { get; } = write;

        public void Dispose()
        {
            close(Read);
            close(Write);
        }
    }

    private static unsafe KernelPipe Pipe()
    {
        var fds = stackalloc int[2];
        if (pipe2(fds, CloseOnExec) != 0)
        {
            throw new IOException($"pipe2 failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        fcntl(fds[1], SetPipeSize, PipeSize);
        return new KernelPipe(fds[0], fds[1]);
    }

    private const int CloseOnExec = 0x80000;
    private const short PollIn = 1;

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int pipe2(int* fds, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

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

    private const uint SpliceMove = 1, SpliceNonBlock = 2, SpliceMore = 4;
    private const int SetPipeSize = 1031, PipeSize = 1 << 20;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendfile(int outFd, int inFd, nint offset, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nint len, uint flags);
}

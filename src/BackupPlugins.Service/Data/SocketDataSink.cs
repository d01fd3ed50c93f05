// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BackupPlugins.Core.Sources;
using Microsoft.Win32.SafeHandles;

namespace BackupPlugins.Service.Data;

/// <summary>A data connection: whole files go out with sendfile(2), straight from the page cache into the socket.</summary>
internal sealed partial class SocketDataSink(Socket socket, WatchedStream stream) : DataSink(stream)
{
    private const int Chunk = 4 << 20;
    private const int EINTR = 4, EAGAIN = 11;

    public override long Written => stream.Written;

    public override Task SendFileAsync(SafeFileHandle file, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => SendFile(file, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void SendFile(SafeFileHandle file, CancellationToken cancellationToken)
    {
        // Cancel (or the stall watchdog) shuts the socket down, which ends a blocked sendfile at once.
        using var _ = cancellationToken.Register(() => socket.Shutdown(SocketShutdown.Both));
        socket.Blocking = true;
        var outFd = (int)socket.Handle;
        var inFd = (int)file.DangerousGetHandle();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = sendfile(outFd, inFd, 0, Chunk);
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
            if (errno is EINTR or EAGAIN)
            {
                continue;
            }
            cancellationToken.ThrowIfCancellationRequested();
            throw new IOException($"sendfile to the data connection failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>A command's output pipe goes into the socket with splice(2): no copy through this process.</summary>
    public override Task CopyFromAsync(Stream source, CancellationToken cancellationToken) =>
        source is System.IO.Pipes.PipeStream pipe
            ? Task.Factory.StartNew(() => Splice(pipe, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : base.CopyFromAsync(source, cancellationToken);

    private void Splice(System.IO.Pipes.PipeStream pipe, CancellationToken cancellationToken)
    {
        using var _ = cancellationToken.Register(() => socket.Shutdown(SocketShutdown.Both));
        socket.Blocking = true;
        var outFd = (int)socket.Handle;
        var inFd = (int)pipe.SafePipeHandle.DangerousGetHandle();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = splice(inFd, 0, outFd, 0, Chunk, SpliceMove | SpliceMore);
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
            if (errno is EINTR or EAGAIN)
            {
                continue;
            }
            cancellationToken.ThrowIfCancellationRequested();
            throw new IOException($"splice into the data connection failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    private const uint SpliceMove = 1, SpliceMore = 4;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendfile(int outFd, int inFd, nint offset, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nint len, uint flags);
}

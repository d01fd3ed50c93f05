// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BackupPlugins.GrpcModule.Transport;
using Microsoft.Win32.SafeHandles;

namespace BackupPlugins.GrpcModule.Tests;

public sealed unsafe partial class DescriptorPassingTests
{
    [Fact]
    public void TheDescriptorArrives_AsTheCoreReceivesIt_AndReadsTheSameFile()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "entry data");
            Assert.Equal(0, socketpair(1 /* AF_UNIX */, 1 /* SOCK_STREAM */, 0, out var pair));
            using var module = new Socket(new SafeSocketHandle(pair.A, ownsHandle: true));
            using var core = new Socket(new SafeSocketHandle(pair.B, ownsHandle: true));
            using (var file = File.OpenHandle(path))
            {
                DescriptorPassing.Send(module, (int)file.DangerousGetHandle(), name: 5);
            }

            // what the core's receive_fd does: recvmsg of sizeof(int) bytes with MSG_WAITALL, then the SCM_RIGHTS int
            var (name, received) = Receive(core);
            Assert.Equal(5, name);
            using var handle = new SafeFileHandle(received, ownsHandle: true);
            using var stream = new FileStream(handle, FileAccess.Read);
            Assert.Equal("entry data", new StreamReader(stream).ReadToEnd());
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static (int Name, int Descriptor) Receive(Socket socket)
    {
        var control = stackalloc byte[24];
        int name = 0;
        var iov = stackalloc nint[2];
        iov[0] = (nint)(&name);
        iov[1] = sizeof(int);
        var header = stackalloc nint[7];
        new Span<nint>(header, 7).Clear();
        header[2] = (nint)iov;
        header[3] = 1;
        header[4] = (nint)control;
        header[5] = 24;
        Assert.Equal(sizeof(int), (int)recvmsg((int)socket.Handle, header, 0x100 /* MSG_WAITALL */));
        Assert.Equal(1, *(int*)(control + 8)); // SOL_SOCKET
        Assert.Equal(1, *(int*)(control + 12)); // SCM_RIGHTS
        return (name, *(int*)(control + 16));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Pair
    {
        public int A, B;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socketpair(int domain, int type, int protocol, out Pair fds);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvmsg(int fd, nint* message, int flags);
}

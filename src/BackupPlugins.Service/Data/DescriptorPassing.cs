// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BackupPlugins.Service.Data;

/// <summary>Sends an open descriptor over a Unix socket (sendmsg(2) with SCM_RIGHTS), with one byte of data as the kernel requires.</summary>
internal static partial class DescriptorPassing
{
    private const int SolSocket = 1, ScmRights = 1, MsgNoSignal = 0x4000;
    private const int EINTR = 4, EAGAIN = 11;
    private const short PollOut = 4;

    public static unsafe void Send(Socket socket, SafeHandle descriptor, byte data)
    {
        var added = false;
        descriptor.DangerousAddRef(ref added);
        try
        {
            var rights = new RightsMessage
            {
                Length = (nuint)(sizeof(nuint) + 2 * sizeof(int) + sizeof(int)), // CMSG_LEN(sizeof(int))
                Level = SolSocket,
                Type = ScmRights,
                Descriptor = (int)descriptor.DangerousGetHandle(),
            };
            var vector = new IoVector { Base = &data, Length = 1 };
            var message = new MessageHeader { Vector = &vector, VectorLength = 1, Control = &rights, ControlLength = (nuint)sizeof(RightsMessage) };
            var fd = (int)socket.Handle;
            while (sendmsg(fd, &message, MsgNoSignal) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EAGAIN)
                {
                    var entry = new PollFd { Fd = fd, Events = PollOut };
                    poll(&entry, 1, 1000);
                }
                else if (errno != EINTR)
                {
                    throw new IOException($"handing the data descriptor over failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
            }
        }
        finally
        {
            if (added)
            {
                descriptor.DangerousRelease();
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVector* Vector;
        public nuint VectorLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVector
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary>A cmsghdr with one int, padded to CMSG_SPACE(sizeof(int)).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RightsMessage
    {
        public nuint Length;
        public int Level;
        public int Type;
        public int Descriptor;
        private readonly int _padding;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint sendmsg(int fd, MessageHeader* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);
}

// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BackupPlugins.GrpcModule.Transport;

/// <summary>
/// io_in_core over the data socket (fd 5): after a <c>FileOpen</c> answered with io_in_core, the core waits for one
/// message on fd 5 that carries an open descriptor (SCM_RIGHTS) and four bytes of payload (an int the core may check;
/// it accepts any), and then reads or writes the entry's data through that descriptor itself.
/// </summary>
public static unsafe partial class DescriptorPassing
{
    private const int SolSocket = 1, ScmRights = 1, MsgNoSignal = 0x4000;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>Sends <paramref name="descriptor"/> over <paramref name="socket"/>, with <paramref name="name"/> as the payload.</summary>
    public static void Send(Socket socket, int descriptor, int name = -1)
    {
        // cmsghdr: cmsg_len (size_t), cmsg_level (int), cmsg_type (int), then the int; CMSG_SPACE(4) = 24, CMSG_LEN(4) = 20
        var control = stackalloc byte[24];
        new Span<byte>(control, 24).Clear();
        *(nuint*)control = 20;
        *(int*)(control + 8) = SolSocket;
        *(int*)(control + 12) = ScmRights;
        *(int*)(control + 16) = descriptor;
        var payload = name;
        var iov = new IoVec { Base = &payload, Length = sizeof(int) };
        var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 24 };
        while (true)
        {
            var sent = sendmsg((int)socket.Handle, &message, MsgNoSignal);
            if (sent == sizeof(int))
            {
                return;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (sent < 0 && errno == 4 /* EINTR */)
            {
                continue;
            }
            throw new IOException(sent < 0
                ? $"could not hand the file daemon an open descriptor on fd {(int)socket.Handle}: {Marshal.GetPInvokeErrorMessage(errno)}"
                : $"could not hand the file daemon an open descriptor on fd {(int)socket.Handle}: {sent} of 4 bytes sent");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendmsg(int fd, MsgHdr* message, int flags);
}

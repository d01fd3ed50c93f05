// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace BackupPlugins.GrpcModule.Transport;

/// <summary>
/// The sockets the file daemon hands a module: fd 3 (the module serves <c>bareos.plugin.Plugin</c> on it), fd 4 (the
/// module calls <c>bareos.core.Core</c> on it) and fd 5 (raw data, and descriptors passed with SCM_RIGHTS), each an
/// already-connected AF_UNIX stream socket.
/// </summary>
public static partial class InheritedSocket
{
    public const int PluginFd = 3, CoreFd = 4, DataFd = 5;
    private const int SolSocket = 1, SoType = 3, SoDomain = 39, AfUnix = 1, SockStream = 1;

    /// <summary>
    /// The inherited descriptor as a Socket; a clear error when it is not a Unix stream socket (started by hand, the
    /// runtime's own descriptors may sit on these numbers: they are looked at, never taken).
    /// </summary>
    public static Socket Adopt(int fd, string role)
    {
        if (Option(fd, SoDomain) != AfUnix || Option(fd, SoType) != SockStream)
        {
            throw new InvalidOperationException($"fd {fd} ({role}) is not the Unix stream socket the file daemon gives: backupplugins is a " +
                                                "Bareos grpc-fd module, started by the file daemon for a FileSet's `Plugin = \"grpc:backupplugins:…\"`, not by hand");
        }
        fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */); // what the module starts must not inherit the daemon's sockets
        return new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>An integer socket option; -1 when fd is no socket (or not open).</summary>
    private static unsafe int Option(int fd, int name)
    {
        int value = -1;
        var length = sizeof(int);
        return getsockopt(fd, SolSocket, name, &value, &length) == 0 ? value : -1;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int getsockopt(int fd, int level, int name, int* value, int* length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);
}

// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace BackupPlugins.GrpcModule.Transport;

/// <summary>
/// The few file calls the module makes itself, as the python3-fd shim makes them: open an entry for the core
/// (read: O_NOFOLLOW, O_NOATIME where the file's owner allows it; restore: created 0600, the host sets the mode
/// later), fstat it again at the close, close it.
/// </summary>
public static partial class NativeFiles
{
    private const int ORdOnly = 0, OWrOnly = 1, OCreat = 0x40, OTrunc = 0x200, ONoFollow = 0x20000, ONoAtime = 0x40000, OCloExec = 0x80000;
    private const int Eperm = 1;

    /// <summary>Opens a file to back up; an <see cref="IOException"/> names it and says why not.</summary>
    public static int OpenForReading(byte[] path)
    {
        var fd = open(Terminated(path), ORdOnly | ONoFollow | OCloExec | ONoAtime, 0);
        if (fd < 0 && Marshal.GetLastPInvokeError() == Eperm)
        {
            fd = open(Terminated(path), ORdOnly | ONoFollow | OCloExec, 0); // O_NOATIME: only the owner (or CAP_FOWNER)
        }
        return fd >= 0 ? fd : throw Failure("open", path);
    }

    /// <summary>Creates (or truncates) a file to restore into.</summary>
    public static int OpenForWriting(byte[] path)
    {
        var fd = open(Terminated(path), OWrOnly | OCreat | OTrunc | ONoFollow | OCloExec, 0x180 /* 0600 */);
        return fd >= 0 ? fd : throw Failure("create", path);
    }

    /// <summary>Size and whole-second mtime of an open file (to see whether it changed while the core read it).</summary>
    public static unsafe (long Size, long MtimeSeconds) SizeAndMtime(int fd)
    {
        var buffer = stackalloc byte[256];
        if (fstat(fd, buffer) != 0)
        {
            throw new IOException($"fstat: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
        var span = new ReadOnlySpan<byte>(buffer, 256);
        return (BinaryPrimitives.ReadInt64LittleEndian(span[48..]), BinaryPrimitives.ReadInt64LittleEndian(span[88..]));
    }

    /// <summary>Moves the file offset, which the core's copy of the descriptor shares (one open file description).</summary>
    public static long Seek(int fd, long offset, int whence)
    {
        var position = lseek(fd, offset, whence);
        return position >= 0 ? position : throw new IOException($"lseek: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    /// <summary>
    /// Clears O_NONBLOCK: .NET keeps its sockets non-blocking at the OS level, and the core, which gets the same open
    /// file description, reads and writes it as a blocking descriptor (EAGAIN would be a read error to it).
    /// </summary>
    public static void MakeBlocking(int fd)
    {
        const int GetFlags = 3, SetFlags = 4, NonBlock = 0x800;
        var flags = fcntl(fd, GetFlags, 0);
        if (flags < 0 || fcntl(fd, SetFlags, flags & ~NonBlock) < 0)
        {
            throw new IOException($"fcntl: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        }
    }

    public static void Close(int fd) => close(fd);

    private static byte[] Terminated(byte[] path) => [.. path, 0];

    private static IOException Failure(string what, byte[] path)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"cannot {what} {System.Text.Encoding.UTF8.GetString(path)}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int open(byte[] path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int fstat(int fd, byte* buffer);

    [LibraryImport("libc", SetLastError = true)]
    private static partial long lseek(int fd, long offset, int whence);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}

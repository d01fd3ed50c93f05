// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Posix;

/// <summary>A failed system call on a path, with errno and the call's name.</summary>
public sealed class PosixException(string call, byte[] path, int errno)
    : IOException($"{call} {PosixPath.Display(path)}: {Libc.Describe(errno)}")
{
    public string Call { get; } = call;
    public byte[] PathBytes { get; } = path;
    public int Errno { get; } = errno;
    public bool NotFound => Errno == Libc.ENOENT;
}

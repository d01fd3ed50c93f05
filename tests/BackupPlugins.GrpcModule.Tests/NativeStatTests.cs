// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using BackupPlugins.GrpcModule.Mapping;

namespace BackupPlugins.GrpcModule.Tests;

public sealed partial class NativeStatTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-nativestat-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ARealStructStat_ReadsAsItsFile_AndComesBackByteForByte()
    {
        var path = Path.Combine(_dir, "f");
        File.WriteAllBytes(path, new byte[12345]);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.SetUser);
        var mtime = new DateTime(2024, 2, 29, 12, 34, 56, DateTimeKind.Utc).AddTicks(1234567); // .1234567 s
        File.SetLastWriteTimeUtc(path, mtime);
        var native = new byte[NativeStat.NativeSize];
        Assert.Equal(0, stat(path, native)); // the file daemon's own struct stat bytes, from glibc

        var packed = NativeStat.ToPacked(native);

        Assert.Equal(12345, BinaryPrimitives.ReadInt64LittleEndian(packed.AsSpan(40))); // size
        Assert.Equal(0x8000u | 0x800u | 0x1A0u, BinaryPrimitives.ReadUInt32LittleEndian(packed.AsSpan(16))); // S_IFREG|S_ISUID|0640
        Assert.Equal(new DateTimeOffset(mtime).ToUnixTimeSeconds(), BinaryPrimitives.ReadInt64LittleEndian(packed.AsSpan(56)));
        Assert.Equal(123456700u, BinaryPrimitives.ReadUInt32LittleEndian(packed.AsSpan(88))); // mtime's nanoseconds
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(packed.AsSpan(20))); // one link
        Assert.Equal(native, NativeStat.FromPacked(packed));
    }

    [Fact]
    public void AShortPackedStat_IsRefusedWithWhatItMeans()
    {
        var ex = Assert.Throws<InvalidDataException>(() => NativeStat.FromPacked(new byte[80]));
        Assert.Equal("a packed stat of 80 bytes, not 96: the module and the host are not of the same release", ex.Message);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int stat(string path, byte[] buffer);
}

// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Core.Posix;

namespace BackupPlugins.Core.Tests;

public sealed class PunchZeroBlocksTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-punch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ZeroBlocksWrittenAroundData_BecomeHolesAgain_BytesAndSizeUnchanged()
    {
        var path = Path.Combine(_dir, "restored.img");
        var content = new byte[3 << 20];
        content[0] = 1;                       // a data island at the start…
        content[(2 << 20) + 5000] = 7;        // …and one in the middle of the third MiB
        File.WriteAllBytes(path, content);    // written dense, as the core writes whole buffers
        var before = FileSystem.LStat(PosixPath.FromString(path));

        var punched = FileSystem.PunchZeroBlocks(PosixPath.FromString(path));

        var after = FileSystem.LStat(PosixPath.FromString(path));
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.Equal(before.Size, after.Size);
        Assert.Equal(2L * 4096, (long)after.Blocks * 512);       // exactly the two 4 KiB blocks that hold data
        Assert.Equal((long)before.Blocks * 512 - 2L * 4096, punched);
    }
}

// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Service.Data;

namespace BackupPlugins.Service.Tests;

public sealed class BlockFileWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-blockwriter-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void PiecesOfAnySize_LandInOrder()
    {
        var data = new byte[6 * (1 << 20) + 333];
        new Random(3).NextBytes(data);
        var path = Path.Combine(_dir, "out");
        using (var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write))
        {
            var writer = new BlockFileWriter(file);
            var offset = 0;
            // a large piece while nothing waits (written as is), small pieces, large pieces while some wait
            foreach (var size in new[] { (1 << 20) + 1, 1, 65_536, 100_000, 3 << 20, 7, (1 << 20) + 5 })
            {
                writer.Append(data.AsSpan(offset, size));
                offset += size;
            }
            writer.Append(data.AsSpan(offset));
            Assert.Equal(data.Length, writer.Length);
            writer.Flush();
        }
        Assert.Equal(data, File.ReadAllBytes(path));
    }
}

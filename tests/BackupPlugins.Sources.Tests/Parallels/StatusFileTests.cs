// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Sources.Parallels;

namespace BackupPlugins.Sources.Tests.Parallels;

public sealed class StatusFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-prlstatus-").FullName;

    [Fact]
    public void ASeedWrittenFile_IsRead_AndWhatWeWriteIsTheSeedsFormat()
    {
        var path = StatusFile.PathOf(_dir, "Windows 10");
        File.WriteAllText(path, "0 123456\n");
        Assert.Equal((0, 123456L), StatusFile.Read(path, out var why));
        Assert.Null(why);
        StatusFile.Write(path, 2, 200000);
        Assert.Equal("2 200000\n", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void MissingOrGarbled_IsNull_WithTheReason()
    {
        Assert.Null(StatusFile.Read(Path.Combine(_dir, "none.last"), out var missing));
        Assert.Equal("not found", missing);
        var path = Path.Combine(_dir, "bad.last");
        File.WriteAllText(path, "3\n");
        Assert.Null(StatusFile.Read(path, out var garbled));
        Assert.Equal("not \"<number> <uptime>\": \"3\"", garbled);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

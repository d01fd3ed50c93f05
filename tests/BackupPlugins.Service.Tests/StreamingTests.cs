// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Protocol.V1;
using Google.Protobuf;
using Grpc.Core;

namespace BackupPlugins.Service.Tests;

/// <summary>The streaming RPCs for clients that are not inside the file daemon: a file out with ReadFile and back with WriteFile.</summary>
public sealed class StreamingTests(HostFixture host) : IClassFixture<HostFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bp-stream-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ReadFile_ThenWriteFile_RestoresTheSameBytesAndTimes()
    {
        var src = Path.Combine(_dir, "src");
        Directory.CreateDirectory(src);
        var data = new byte[3 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(data);
        await File.WriteAllBytesAsync(Path.Combine(src, "blob"), data);
        File.SetLastWriteTimeUtc(Path.Combine(src, "blob"), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));

        using var channel = host.UnixChannel();
        var plugin = new FdPlugin.FdPluginClient(channel);
        var backup = await plugin.LoadPluginAsync(new LoadPluginRequest
        {
            Protocol = Revision.PackedStat,
            Job = new JobInfo { JobId = 1, Level = "F", Type = "B" },
            PluginDefinition = ByteString.CopyFromUtf8($"source=dir:path={src}:datapath=socket:"),
        });
        await plugin.HandlePluginEventAsync(new HandlePluginEventRequest { Session = backup.Session, Event = EventType.EventStartBackupJob });
        var batch = await plugin.StartBackupFileAsync(new StartBackupFileRequest { Session = backup.Session, MaxFiles = 10 });
        Assert.False(batch.More);
        var file = batch.Items.Select(i => i.File).Single(f => f.Type == FileType.FtReg);
        Assert.Equal(DataPath.Socket, file.DataPath);
        Assert.Equal(src + "/blob", file.Fname.ToStringUtf8());

        // Chunks of exactly the size asked for, the last one short (the host sends them in flushes of several).
        var received = new MemoryStream();
        var sizes = new List<int>();
        using (var read = plugin.ReadFile(new ReadFileRequest { Session = backup.Session, Fname = file.Fname, ChunkSize = 100_000 }))
        {
            await foreach (var chunk in read.ResponseStream.ReadAllAsync())
            {
                sizes.Add(chunk.Data.Length);
                chunk.Data.WriteTo(received);
            }
        }
        Assert.Equal(data, received.ToArray());
        Assert.All(sizes.SkipLast(1), size => Assert.Equal(100_000, size));
        Assert.Equal(data.Length % 100_000, sizes[^1]);
        await plugin.HandlePluginEventAsync(new HandlePluginEventRequest { Session = backup.Session, Event = EventType.EventEndBackupJob });

        var where = Path.Combine(_dir, "r");
        var restore = await plugin.LoadPluginAsync(new LoadPluginRequest { Protocol = Revision.PackedStat, Job = new JobInfo { JobId = 2, Type = "R", Where = where } });
        var ofname = ByteString.CopyFrom(Encoding.UTF8.GetBytes(where + src + "/blob"));
        var created = await plugin.CreateFileAsync(new CreateFileRequest
        {
            Session = restore.Session, Cmd = ByteString.CopyFromUtf8($"python3:module_name=bareos-fd-backupplugins:source=dir:path={src}"),
            Ofname = ofname, Type = FileType.FtReg, Stat = file.Stat, Replace = ReplaceMode.ReplaceAlways, Where = where,
        });
        Assert.Equal(CreateStatus.CfExtract, created.Status);
        using (var write = plugin.WriteFile())
        {
            await write.RequestStream.WriteAsync(new WriteFileRequest { Session = restore.Session, Ofname = ofname });
            for (var offset = 0; offset < data.Length; offset += 1 << 20)
            {
                var n = Math.Min(1 << 20, data.Length - offset);
                await write.RequestStream.WriteAsync(new WriteFileRequest { Data = ByteString.CopyFrom(data, offset, n) });
            }
            await write.RequestStream.CompleteAsync();
            Assert.Equal(data.Length, (await write).Bytes);
        }
        await plugin.EndRestoreFileAsync(new EndRestoreFileRequest { Session = restore.Session, Ofname = ofname, DataOk = true });
        await plugin.HandlePluginEventAsync(new HandlePluginEventRequest { Session = restore.Session, Event = EventType.EventEndRestoreJob });

        var restored = where + src + "/blob";
        Assert.Equal(data, await File.ReadAllBytesAsync(restored));
        Assert.Equal(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc), File.GetLastWriteTimeUtc(restored));
    }
}

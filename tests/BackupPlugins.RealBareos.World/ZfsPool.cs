// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos;

/// <summary>
/// A real ZFS pool for a test: Debian's zfs-fuse (started if none answers, left running as the other tests expect),
/// one sparse file vdev under the world's directory, mounted under it; destroyed with everything in it at the end.
/// </summary>
public sealed class ZfsPool : IAsyncDisposable
{
    private ZfsPool(string name, string mountPoint) => (Name, MountPoint) = (name, mountPoint);

    public string Name { get; }
    public string MountPoint { get; }

    public static async Task<ZfsPool> CreateAsync(string work, string name, long sizeBytes = 1L << 30)
    {
        await EnsureDaemonAsync();
        var vdev = Path.Combine(work, name + ".vdev");
        using (var file = File.Create(vdev))
        {
            file.SetLength(sizeBytes);
        }
        var pool = new ZfsPool(name, Path.Combine(work, name));
        await pool.RunAsync("zpool", "create", "-m", pool.MountPoint, name, vdev);
        return pool;
    }

    /// <summary>Creates <c>pool/relative</c>; returns its name and mount point.</summary>
    public async Task<(string Dataset, string Mount)> CreateDatasetAsync(string relative)
    {
        await RunAsync("zfs", "create", $"{Name}/{relative}");
        return ($"{Name}/{relative}", Path.Combine(MountPoint, relative));
    }

    /// <summary>Names of the snapshots of <paramref name="dataset"/>, oldest first.</summary>
    public async Task<string[]> SnapshotsAsync(string dataset) =>
        (await RunAsync("zfs", "list", "-H", "-t", "snapshot", "-d", "1", "-s", "createtxg", "-o", "name", dataset))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public async Task<string> RunAsync(string program, params string[] args)
    {
        var (code, output) = await Machine.RunAsync(program, args);
        return code == 0 ? output : throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({code}): {output}");
    }

    public async ValueTask DisposeAsync()
    {
        for (var attempt = 0; attempt < 20; attempt++) // zfs-fuse calls a pool busy for a moment after its file systems were used
        {
            var (code, output) = await Machine.RunAsync("zpool", ["destroy", "-f", Name]);
            if (code == 0 || output.Contains("no such pool", StringComparison.Ordinal))
            {
                return;
            }
            await Task.Delay(500);
        }
        await Console.Error.WriteLineAsync($"zfs pool {Name} could not be destroyed; remove it with: zpool destroy -f {Name}");
    }

    private static async Task EnsureDaemonAsync()
    {
        if ((await Machine.RunAsync("zpool", ["list"])).ExitCode == 0)
        {
            return;
        }
        var (code, output) = await Machine.RunAsync("zfs-fuse", ["--no-kstat-mount"]);
        if (code != 0)
        {
            throw new InvalidOperationException($"zfs-fuse did not start ({code}): {output}");
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await Machine.RunAsync("zpool", ["list"])).ExitCode != 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("zfs-fuse did not answer within 20 s");
            }
            await Task.Delay(200);
        }
    }
}

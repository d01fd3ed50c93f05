// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;

namespace BackupPlugins.RealBareos.Bench;

/// <summary>
/// A zfs-fuse pool on a sparse file vdev under /var/tmp with one dataset of random data and a snapshot of it, as
/// <c>tests/e2e/zfsworld.py</c> makes them; zfs-fuse is started (and stopped again) only if none answers. All of it is
/// destroyed by <see cref="DisposeAsync"/>.
/// </summary>
public sealed class ZfsPool : IAsyncDisposable
{
    private readonly string _directory;
    private Process? _daemon;
    private bool _created;

    private ZfsPool(string tag)
    {
        Pool = "bpbench" + tag;
        _directory = $"/var/tmp/bp-bench-zfs-{tag}";
        if (Directory.Exists(_directory))
        {
            throw new InvalidOperationException($"{_directory} exists already");
        }
        Directory.CreateDirectory(_directory);
    }

    public string Pool { get; }
    public string Dataset => Pool + "/data";
    public string Snapshot => Dataset + "@bench";
    private string Mountpoint => Path.Combine(_directory, "mnt");

    public static async Task<ZfsPool> CreateAsync(long bytes, TextWriter progress)
    {
        var zfs = new ZfsPool($"{Random.Shared.Next(100000):D5}");
        try
        {
            await zfs.StartDaemonAsync();
            var vdev = Path.Combine(zfs._directory, "vdev.img");
            await using (var f = File.Create(vdev))
            {
                f.SetLength(bytes * 2 + (512L << 20));
            }
            await Zfs("zpool", "create", "-m", zfs.Mountpoint, zfs.Pool, vdev);
            zfs._created = true;
            await Zfs("zfs", "create", zfs.Dataset);
            var started = Stopwatch.GetTimestamp();
            Corpus.WriteRandomFile(Path.Combine(zfs.Mountpoint, "data", "large.bin"), bytes);
            await Zfs("zfs", "snapshot", zfs.Snapshot);
            await progress.WriteLineAsync($"  zfs: pool {zfs.Pool} on {vdev}, {bytes >> 20} MiB written in {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s");
            return zfs;
        }
        catch
        {
            await zfs.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        var gone = !_created || await DestroyPoolAsync();
        if (_daemon is { } daemon)
        {
            await StopDaemonAsync(daemon);
        }
        var mounted = File.ReadAllLines("/proc/mounts").Any(l => l.Split(' ')[1].StartsWith(_directory, StringComparison.Ordinal));
        if (gone && !mounted)
        {
            Directory.Delete(_directory, recursive: true);
        }
        else
        {
            await Console.Error.WriteLineAsync($"zfs: could not destroy pool {Pool}; left {_directory} in place");
        }
    }

    private async Task StartDaemonAsync()
    {
        if ((await Machine.RunAsync("zpool", ["list"])).ExitCode == 0)
        {
            return; // someone's zfs-fuse answers: use it, leave it running
        }
        // its own session, so that a Ctrl-C at the terminal does not stop it before the pool is destroyed
        _daemon = Process.Start("sh", ["-c", "exec setsid zfs-fuse --no-daemon --no-kstat-mount >\"$0\" 2>&1", Path.Combine(_directory, "zfs-fuse.log")]);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await Machine.RunAsync("zpool", ["list"])).ExitCode != 0)
        {
            if (DateTime.UtcNow > deadline || _daemon.HasExited)
            {
                throw new InvalidOperationException($"zfs-fuse did not come up: {File.ReadAllText(Path.Combine(_directory, "zfs-fuse.log"))}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>zpool destroy, retried while zfs-fuse still calls the pool busy (its FUSE mounts let go a moment later).</summary>
    private async Task<bool> DestroyPoolAsync()
    {
        for (var i = 0; i < 20; i++)
        {
            if ((await Machine.RunAsync("zpool", ["destroy", "-f", Pool])).ExitCode == 0)
            {
                return true;
            }
            if ((await Machine.RunAsync("zpool", ["list", "-H", "-o", "name", Pool])).ExitCode != 0)
            {
                return true;
            }
            await Task.Delay(500);
        }
        return false;
    }

    private static async Task StopDaemonAsync(Process daemon)
    {
        if (!daemon.HasExited)
        {
            await Machine.RunAsync("kill", ["-TERM", daemon.Id.ToString()]);
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await daemon.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                daemon.Kill();
            }
        }
        daemon.Dispose();
    }

    private static async Task Zfs(string program, params string[] args)
    {
        var (code, output) = await Machine.RunAsync(program, args, timeout: TimeSpan.FromMinutes(10));
        if (code != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({code}): {output}");
        }
    }
}

// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.RealBareos.Bench;

/// <summary>How the figures were taken, printed under the table.</summary>
public static class Method
{
    public static readonly string[] Notes =
    [
        "How measured: one job at a time, after sync(2) and 0.5 s; kinds alternated (reversed every other round); the",
        "  large-file backups and restores and the zfs streams after one warm-up job of each kind (the host's JIT), not",
        "  counted. SD CPU (in the job list): the storage daemon's, whose volume writes set the pace of large jobs.",
        "  data phase: the storage daemon's volume writes (wchar of /proc/<pid>/io, restores: the file daemon's writes)",
        $"    polled every 10 ms, from the first to the last 10 ms that grew by >= {DataPhase.Growth >> 10} KiB.",
        "  FD CPU: utime+stime of the file daemon over the job with its reaped children (the grpc-fd module, a process",
        "    per job, which the daemon waits for at the job's end); host CPU: the same for the BackupPlugins host, with its",
        "    children (zfs send). The native zfs job's zfs send runs outside the file daemon and is not counted.",
        "  bridge: python3-fd and the shim; grpc-fd: the grpc-fd module, its NativeAOT build (tests/benchmark/real-bareos",
        "    publishes it into .run/grpc-module/ and the world links it as <Plugin Directory>/grpc/backupplugins).",
        "  job s, files/s: from the bconsole run to the director's job report in its message log (polled every 10 ms).",
    ];

    /// <summary>The 1, 5 and 15 minute load averages.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}

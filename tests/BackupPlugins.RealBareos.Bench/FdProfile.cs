// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;

namespace BackupPlugins.RealBareos.Bench;

/// <summary>
/// <c>--profile DIR</c>: a <c>perf record</c> of the file daemon over one job (999 Hz, no call graphs), kept as
/// <c>DIR/run-N.perf</c>, and its share of samples by library (python3-fd's libpython, the daemon's own libraries,
/// the kernel) for the job list; <c>perf report -i … --sort dso,sym</c> shows the functions.
/// </summary>
public sealed class FdProfile
{
    private readonly Process _perf;
    private readonly string _file;

    private FdProfile(Process perf, string file) => (_perf, _file) = (perf, file);

    public static FdProfile Start(string directory, int fileDaemon, string name)
    {
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, name + ".perf");
        var start = new ProcessStartInfo("perf", ["record", "-q", "-F", "999", "-p", fileDaemon.ToString(), "-o", file])
        {
            RedirectStandardError = true, RedirectStandardOutput = true,
        };
        var perf = Process.Start(start) ?? throw new InvalidOperationException("perf did not start (apt-get install linux-perf)");
        Thread.Sleep(300); // perf attaches to every thread of the daemon before the job starts
        return new FdProfile(perf, file);
    }

    /// <summary>Stops the recording; returns the libraries with at least 3 % of the samples.</summary>
    public async Task<string> StopAsync()
    {
        await Machine.RunAsync("kill", ["-INT", _perf.Id.ToString()]);
        await _perf.WaitForExitAsync();
        var (code, report) = await Machine.RunAsync("perf", ["report", "-i", _file, "--sort", "dso", "--stdio", "--percent-limit", "3"]);
        if (code != 0)
        {
            return $"perf report failed: {report.Trim()}";
        }
        var shares = report.Split('\n').Where(l => l.TrimStart().Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries)).Where(p => p.Length == 2)
            .Select(p => $"{p[1].Trim()} {p[0]}");
        return $"{_file}: {string.Join(", ", shares)}";
    }
}

// SPDX-License-Identifier: AGPL-3.0-or-later
// The bridge against the real Bareos 25.1 file daemon, side by side with native FileSets: tests/benchmark/real-bareos
// [--quick] [--rounds N] [--rows large,small,zfs] [--profile DIR]. Prints a table of medians with each target and marks the misses; nothing passes or fails.
// Everything it makes (containers, daemons, files, the zfs pool) is removed at the end, also after a failure or Ctrl-C.
using System.Runtime.InteropServices;
using BackupPlugins.RealBareos;
using BackupPlugins.RealBareos.Bench;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var stop = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    if (!stop.IsCancellationRequested)
    {
        Console.Error.WriteLine($"{context.Signal}: stopping, cleaning up");
        stop.Cancel();
    }
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);

// The table alone on standard output; everything else (progress, Testcontainers' log) on standard error.
var table = Console.Out;
Console.SetOut(Console.Error);
var progress = Console.Error;
var report = new Report($"Bridge against the real Bareos 25.1 file daemon: medians of {options.Rounds} round(s); " +
                        $"MB = 10^6 bytes; {(options.Quick ? "QUICK scale, for development" : "full scale")}");
report.Notes.AddRange(Method.Notes);
report.Notes.Add($"  machine: {Environment.ProcessorCount} CPUs; load average at the start {Method.LoadAverage()}");
var world = new BareosWorld();
Jobs? jobs = null;
var status = 0;
try
{
    await progress.WriteLineAsync($"starting the real Bareos world in {world.Work}");
    await world.InitializeAsync();
    stop.Token.ThrowIfCancellationRequested();
    jobs = new Jobs(world, progress, options.Profile);
    if (options.Rows.Contains("large"))
    {
        await new LargeFile(world, jobs, options).RunAsync(report, stop.Token);
    }
    if (options.Rows.Contains("small"))
    {
        await new SmallFiles(world, jobs, options).RunAsync(report, stop.Token);
    }
    if (options.Rows.Contains("zfs"))
    {
        await new ZfsStream(world, jobs, options, progress).RunAsync(report, stop.Token);
    }
}
catch (Exception e)
{
    // A Ctrl-C at the terminal reaches the file daemon and the host too (one process group): what fails then is
    // the stop, not the benchmark, even when the failure is noticed before the signal's handler has run.
    await Task.Delay(TimeSpan.FromMilliseconds(300));
    status = stop.IsCancellationRequested ? 130 : 1;
    await progress.WriteLineAsync(status == 130 ? "stopped before the end; the rows so far:" : $"the benchmark failed: {e}");
}
finally
{
    await progress.WriteLineAsync("removing the world (containers, daemons, files)");
    await world.DisposeAsync();
}
report.Notes.Add($"  load average at the end {Method.LoadAverage()} (other work on the machine shows here)");
report.Notes.Add("jobs:");
report.Notes.AddRange((jobs?.All ?? []).Select(m => "  " + m));
report.Print(table);
return status;

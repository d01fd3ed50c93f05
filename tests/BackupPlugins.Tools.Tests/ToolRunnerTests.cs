// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Diagnostics;
using BackupPlugins.Core.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace BackupPlugins.Tools.Tests;

public class ToolRunnerTests
{
    private readonly ToolRunner _runner = new(NullLogger<ToolRunner>.Instance);

    [Fact]
    public async Task Run_Success_ReturnsStdoutAndExitCode()
    {
        var result = await _runner.RunAsync(new ToolCommand(["printf", "%s|%s", "a b", "c'd"]), CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("a b|c'd", result.StandardOutput);
    }

    [Fact]
    public async Task Run_ASecretCommand_ShowsOnlyItsProgram_InTheFailureAndInTheRunningList()
    {
        var command = new ToolCommand(["/bin/sh", "-c", "sleep 0.3; echo failed >&2; exit 3 # pw=s3cret"]) { Secret = true };
        var running = _runner.RunAsync(command, CancellationToken.None);
        await Task.Delay(100);
        Assert.Equal(["/bin/sh", "(arguments not shown)"], Assert.Single(_runner.Running).Argv);
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() => running);
        Assert.Equal("/bin/sh (arguments not shown): exit code 3: failed", ex.Message);
    }

    [Fact]
    public async Task Run_NonZeroExit_ThrowsWithArgvAndStderrTail()
    {
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() =>
            _runner.RunAsync(new ToolCommand(["ls", "/nonexistent-bp"]), CancellationToken.None));
        Assert.Equal(2, ex.Result!.ExitCode);
        Assert.Equal("ls /nonexistent-bp: exit code 2: ls: cannot access '/nonexistent-bp': No such file or directory", ex.Message);
    }

    [Fact]
    public async Task Run_NoiseTheToolAlwaysPrints_IsLeftOutOfTheFailure()
    {
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() => _runner.RunAsync(
            new ToolCommand(["ls", "/nonexistent-bp"]) { StandardErrorNoise = ["unrelated", "ls: cannot access '/nonexistent-bp': No such file or directory"] },
            CancellationToken.None));
        Assert.Equal("ls /nonexistent-bp: exit code 2", ex.Message);
        var kept = await Assert.ThrowsAsync<ToolFailedException>(() => _runner.RunAsync(
            new ToolCommand(["ls", "/nonexistent-bp"]) { StandardErrorNoise = ["ls: cannot access"] }, CancellationToken.None));
        Assert.EndsWith("No such file or directory", kept.Message); // whole lines only
    }

    [Fact]
    public async Task Run_AcceptedExitCode_IsNotAFailure()
    {
        var result = await _runner.RunAsync(new ToolCommand(["ls", "/nonexistent-bp"]) { SuccessCodes = [0, 2] }, CancellationToken.None);
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Run_LongStderr_KeepsOnlyTheTail()
    {
        var argv = new List<string> { "ls" };
        argv.AddRange(Enumerable.Range(0, 2000).Select(i => $"/nonexistent-{i:D5}"));
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() => _runner.RunAsync(new ToolCommand(argv), CancellationToken.None));
        Assert.InRange(ex.Result!.StandardErrorTail.Length, ToolRunner.StderrTailBytes, ToolRunner.StderrTailBytes + 1);
        Assert.StartsWith("…", ex.Result.StandardErrorTail);
        Assert.EndsWith("'/nonexistent-01999': No such file or directory\n", ex.Result.StandardErrorTail);
    }

    [Fact]
    public async Task Run_Timeout_StopsTheProcessAndSaysSo()
    {
        var stopwatch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() => _runner.RunAsync(
            new ToolCommand(["sleep", "30"]) { Timeout = TimeSpan.FromSeconds(1), GracePeriod = TimeSpan.FromSeconds(1) },
            CancellationToken.None));
        Assert.Equal("sleep 30: timed out after 1 s and was stopped", ex.Message);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10));
        Assert.Empty(_runner.Running);
    }

    [Fact]
    public async Task Run_Cancelled_EndsTheProcessAndListsItWhileRunning()
    {
        using var cts = new CancellationTokenSource();
        var task = _runner.RunAsync(new ToolCommand(["sleep", "30"]) { Session = "s1" }, cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_runner.Running.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        var running = Assert.Single(_runner.Running);
        Assert.Equal(["sleep", "30"], running.Argv);
        Assert.Equal("s1", running.Session);
        Assert.True(running.ProcessId > 0);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);
        Assert.Empty(_runner.Running);
        Assert.False(File.Exists($"/proc/{running.ProcessId}/cmdline") && File.ReadAllText($"/proc/{running.ProcessId}/cmdline").StartsWith("sleep"));
    }

    [Fact]
    public async Task Run_MissingProgram_SaysItCannotStart()
    {
        var ex = await Assert.ThrowsAsync<ToolFailedException>(() =>
            _runner.RunAsync(new ToolCommand(["/nonexistent/prlctl", "list"]), CancellationToken.None));
        Assert.StartsWith("/nonexistent/prlctl list: ", ex.Message);
    }

    [Fact]
    public async Task Run_StandardInput_ReachesTheProgramNotItsArgv()
    {
        var result = await _runner.RunAsync(new ToolCommand(["cat"]) { StandardInput = "secret-passphrase" }, CancellationToken.None);
        Assert.Equal("secret-passphrase", result.StandardOutput);
    }
}

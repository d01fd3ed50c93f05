// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using BackupPlugins.Core.Tools;
using CliWrap;
using CliWrap.Exceptions;
using Microsoft.Extensions.Logging;

namespace BackupPlugins.Tools;

/// <summary>
/// Runs external commands with CliWrap: argv arrays, timeouts, graceful-then-forceful cancellation,
/// a bounded stderr tail, and a live list of running commands. The only type that references CliWrap.
/// </summary>
public sealed partial class ToolRunner(ILogger<ToolRunner> logger) : IToolRunner
{
    public const int StderrTailBytes = 32 * 1024;
    private readonly ConcurrentDictionary<long, RunningCommand> _running = new();
    private long _next;

    public IReadOnlyList<RunningCommand> Running => _running.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList();

    public Task<ToolResult> RunAsync(ToolCommand command, CancellationToken cancellationToken) =>
        RunAsync(command, null, consumeOutput: null, cancellationToken);

    public async Task<ToolResult> RunAsync(ToolCommand command, Stream? input, Func<Stream, CancellationToken, Task>? consumeOutput,
        CancellationToken cancellationToken)
    {
        if (command.Argv.Count == 0)
        {
            throw new ArgumentException("a command needs at least a program name", nameof(command));
        }
        var stdout = new StringBuilder();
        var stderr = new TailBuffer(StderrTailBytes);
        var id = Interlocked.Increment(ref _next);
        var stopwatch = Stopwatch.StartNew();

        using var timeout = new CancellationTokenSource(command.Timeout);
        using var graceful = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var forceful = new CancellationTokenSource();
        await using var escalate = graceful.Token.Register(() => forceful.CancelAfter(command.GracePeriod));

        var cli = Cli.Wrap(command.Argv[0])
            .WithArguments(command.Argv.Skip(1))
            .WithEnvironmentVariables(command.Environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value))
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(consumeOutput is null ? PipeTarget.ToStringBuilder(stdout) : Consume(consumeOutput))
            .WithStandardErrorPipe(PipeTarget.Create((stream, ct) => stderr.FillAsync(stream, ct)));
        if (input is not null)
        {
            cli = cli.WithStandardInputPipe(PipeSource.FromStream(input));
        }
        else if (command.StandardInput is not null)
        {
            cli = cli.WithStandardInputPipe(PipeSource.FromString(command.StandardInput));
        }

        LogStarting(command.ToString());
        CommandTask<CommandResult> task;
        try
        {
            task = cli.ExecuteAsync(forceful.Token, graceful.Token);
        }
        catch (Win32Exception ex)
        {
            throw new ToolFailedException(command, $"cannot start: {ex.Message}", null);
        }
        _running[id] = new RunningCommand(command.Shown, DateTimeOffset.UtcNow, command.Session, task.ProcessId);
        try
        {
            var result = await task;
            var toolResult = new ToolResult(result.ExitCode, stdout.ToString(), Quiet(command, stderr.Text), stopwatch.Elapsed);
            LogExited(command.ToString(), result.ExitCode, stopwatch.ElapsedMilliseconds);
            if (!command.SuccessCodes.Contains(result.ExitCode))
            {
                throw new ToolFailedException(command, $"exit code {result.ExitCode}", toolResult);
            }
            return toolResult;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ToolFailedException(command, $"timed out after {command.Timeout.TotalSeconds:0} s and was stopped",
                new ToolResult(-1, stdout.ToString(), Quiet(command, stderr.Text), stopwatch.Elapsed));
        }
        catch (OperationCanceledException)
        {
            LogCancelled(command.ToString());
            throw new OperationCanceledException($"{command} was cancelled", cancellationToken);
        }
        catch (CliWrapException ex)
        {
            throw new ToolFailedException(command, ex.Message, null);
        }
        catch (IOException ex)
        {
            // Our end of a stream failed (a data connection went away): the command would block on its full pipe
            // forever, holding whatever it reads (a snapshot, a device). Stop it.
            StopProcess(task.ProcessId);
            throw new ToolFailedException(command, $"stopped: its {(input is not null ? "input or " : "")}output stream failed: {ex.Message}",
                new ToolResult(-1, stdout.ToString(), Quiet(command, stderr.Text), stopwatch.Elapsed));
        }
        finally
        {
            _running.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Hands the command's standard output to <paramref name="consume"/>; if that fails, closes our end of the pipe
    /// at once, so the writer gets EPIPE instead of blocking on a full pipe (zfs-fuse's daemon, which writes a send
    /// stream on the command's behalf, would otherwise keep the snapshot busy).
    /// </summary>
    private static PipeTarget Consume(Func<Stream, CancellationToken, Task> consume) => PipeTarget.Create(async (source, cancellationToken) =>
    {
        try
        {
            await consume(source, cancellationToken);
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }
    });

    private static void StopProcess(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Win32Exception)
        {
            // already gone
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Running {Command}")]
    private partial void LogStarting(string command);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "{Command} exited with {ExitCode} after {Milliseconds} ms")]
    private partial void LogExited(string command, int exitCode, long milliseconds);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Command} was cancelled")]
    private partial void LogCancelled(string command);

    /// <summary>The standard error without the tool's <see cref="ToolCommand.StandardErrorNoise"/> lines.</summary>
    private static string Quiet(ToolCommand command, string stderr) =>
        command.StandardErrorNoise.Count == 0 ? stderr
            : string.Join('\n', stderr.Split('\n').Where(line => !command.StandardErrorNoise.Contains(line.TrimEnd('\r'))));
}

// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Tools;

/// <summary>
/// One external command: an argv array (never a shell string), a timeout and the session it belongs to.
/// Secrets never go on argv: pass them in <see cref="Environment"/> or <see cref="StandardInput"/>.
/// </summary>
public sealed record ToolCommand(IReadOnlyList<string> Argv)
{
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How long a cancelled command gets after SIGTERM before it is killed.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(10);
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    public string? StandardInput { get; init; }
    public string? Session { get; init; }
    /// <summary>Exit codes that count as success (default: 0).</summary>
    public IReadOnlyList<int> SuccessCodes { get; init; } = [0];
    /// <summary>
    /// Standard-error lines the tool prints on every call whatever happens (a deprecation notice): left out of
    /// <see cref="ToolResult.StandardErrorTail"/>, so a failure is reported in the tool's own words about it.
    /// </summary>
    public IReadOnlyList<string> StandardErrorNoise { get; init; } = [];
    /// <summary>
    /// The arguments hold a secret (an operator's hook line marked <c>-</c>): only the program is shown, in logs,
    /// messages and <c>status</c>.
    /// </summary>
    public bool Secret { get; init; }

    /// <summary>What logs, messages and <c>status</c> show of the command.</summary>
    public IReadOnlyList<string> Shown => Secret ? [Argv[0], "(arguments not shown)"] : Argv;

    public override string ToString() => Secret ? $"{Quote(Argv[0])} (arguments not shown)" : string.Join(' ', Argv.Select(Quote));

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./=:,@%+".Contains(c)) ? arg : $"'{arg.Replace("'", "'\\''")}'";
}

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardErrorTail, TimeSpan Duration);

/// <summary>A command that exited with a code it should not have, timed out, or could not start.</summary>
public sealed class ToolFailedException(ToolCommand command, string reason, ToolResult? result)
    : Exception(Format(command, reason, result))
{
    public ToolCommand Command { get; } = command;
    public ToolResult? Result { get; } = result;

    private static string Format(ToolCommand command, string reason, ToolResult? result)
    {
        var tail = result?.StandardErrorTail.Trim();
        return string.IsNullOrEmpty(tail) ? $"{command}: {reason}" : $"{command}: {reason}: {tail}";
    }
}

/// <summary>Reading what a command printed: output a parser cannot read is that command's failure, and said so.</summary>
public static class ToolOutput
{
    /// <summary>
    /// <paramref name="parse"/> applied to the command's standard output; a <see cref="FormatException"/> (output this
    /// version cannot read, or nothing where something must be) becomes the command's <see cref="ToolFailedException"/>.
    /// </summary>
    public static T Parse<T>(ToolCommand command, ToolResult result, Func<string, T> parse)
    {
        try
        {
            return parse(result.StandardOutput);
        }
        catch (FormatException ex)
        {
            throw Unreadable(command, result, ex.Message);
        }
    }

    /// <summary>The command exited as it should but printed something else than it must.</summary>
    public static ToolFailedException Unreadable(ToolCommand command, ToolResult result, string what)
    {
        var output = result.StandardOutput.Trim();
        return new ToolFailedException(command, $"exit code {result.ExitCode} but {what} (it printed " +
            (output.Length == 0 ? "nothing" : $"\"{(output.Length > 400 ? output[..400] + "…" : output)}\"") + ")", result);
    }
}

/// <summary>A command running right now, for the status call.</summary>
public sealed record RunningCommand(IReadOnlyList<string> Argv, DateTimeOffset Started, string? Session, int ProcessId);

/// <summary>The one way to run external commands.</summary>
public interface IToolRunner
{
    /// <summary>
    /// Runs the command to completion. Throws <see cref="ToolFailedException"/> on a non-success exit code,
    /// a timeout or a failure to start (stderr tail included); <see cref="OperationCanceledException"/> after
    /// cancellation, once the process is gone (SIGTERM, then SIGKILL after the grace period).
    /// </summary>
    Task<ToolResult> RunAsync(ToolCommand command, CancellationToken cancellationToken) =>
        RunAsync(command, input: null, consumeOutput: null, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(ToolCommand, CancellationToken)"/>, with standard input read from
    /// <paramref name="input"/> and standard output written to <paramref name="output"/> (then not captured in
    /// the result) — for streams such as <c>zfs send</c> and <c>zfs receive</c>.
    /// </summary>
    Task<ToolResult> RunAsync(ToolCommand command, Stream? input, Stream output, CancellationToken cancellationToken) =>
        RunAsync(command, input, (stdout, ct) => stdout.CopyToAsync(output, 1 << 20, ct), cancellationToken);

    /// <summary>
    /// The general form: <paramref name="consumeOutput"/> is given the command's standard output (a pipe) to read
    /// to its end — so a consumer can move it without copying, e.g. splice(2) into a socket — or to hand to another
    /// process (the data socket passes it to the file daemon) and return at once; either way the run then waits for
    /// the command's exit. If it throws, the pipe is closed and the command stopped. Null: standard output is
    /// captured in the result.
    /// </summary>
    Task<ToolResult> RunAsync(ToolCommand command, Stream? input, Func<Stream, CancellationToken, Task>? consumeOutput,
        CancellationToken cancellationToken);

    /// <summary>The commands running now, oldest first.</summary>
    IReadOnlyList<RunningCommand> Running { get; }
}

// SPDX-License-Identifier: AGPL-3.0-or-later
using System.Text;
using BackupPlugins.Core.Jobs;

namespace BackupPlugins.Sources.Lvm.Backup;

/// <summary>
/// The seed's output: log lines <c>LEVEL:backup:message</c> at or above the <c>-l</c> level (WARNING unless told), every
/// command at INFO as <c>Command: ['argv', …]</c> (Python's list repr, as the seed logged it), and the plain lines the
/// seed printed whatever the level (<c>Full backup: NAME</c>). It counts warnings and errors for the exit code.
/// </summary>
public sealed class RunLog(IJobConsole console, RunLog.Level threshold)
{
    public enum Level { Debug = 10, Info = 20, Warning = 30, Error = 40, Critical = 50 }

    private int _warnings;
    private int _errors;

    /// <summary>0, 1 when there were warnings, 2 when there were errors.</summary>
    public int ExitCode => _errors > 0 ? 2 : _warnings > 0 ? 1 : 0;

    /// <summary>The seed's <c>-l</c>: upper-case level names only, as its argparse choices.</summary>
    public static Level Parse(string text) => text switch
    {
        "DEBUG" => Level.Debug,
        "INFO" => Level.Info,
        "WARNING" => Level.Warning,
        "ERROR" => Level.Error,
        "CRITICAL" => Level.Critical,
        _ => throw new FormatException($"-l {text}: give DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    };

    public Task PrintAsync(string text) => console.Out.WriteLineAsync(text);

    public Task InfoAsync(string text) => WriteAsync(Level.Info, text);

    public Task WarningAsync(string text)
    {
        Interlocked.Increment(ref _warnings);
        return WriteAsync(Level.Warning, text);
    }

    public Task ErrorAsync(string text)
    {
        Interlocked.Increment(ref _errors);
        return WriteAsync(Level.Error, text);
    }

    public Task CommandAsync(IReadOnlyList<string> argv) => WriteAsync(Level.Info, "Command: [" + string.Join(", ", argv.Select(Repr)) + "]");

    private Task WriteAsync(Level level, string text)
    {
        if (level < threshold)
        {
            return Task.CompletedTask;
        }
        return console.Out.WriteLineAsync($"{level.ToString().ToUpperInvariant()}:backup:{text}"); // a job console's writer takes whole lines from any thread
    }

    /// <summary>Python's repr of a str: single quotes unless it holds one and no double quote; backslash escapes.</summary>
    private static string Repr(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var text = new StringBuilder().Append(quote);
        foreach (var c in s)
        {
            text.Append(c switch
            {
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ when c == quote => "\\" + c,
                _ => c.ToString(),
            });
        }
        return text.Append(quote).ToString();
    }
}

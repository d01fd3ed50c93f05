// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Parallels;

/// <summary>One line of a hook (BeforeBackup, AfterBackup, BeforeSuspend, AfterResume) of backupParallels.ini.</summary>
/// <param name="Text">the line without its <c>+</c>/<c>-</c> marker</param>
/// <param name="Logged">false for <c>-</c> lines: they hold secrets and are run without being logged</param>
/// <param name="Run">false for <c>+</c> lines: they are only logged</param>
public sealed record HookLine(string Text, bool Logged, bool Run)
{
    /// <summary>The seed's rules: split on new lines, strip, skip empty lines; <c>+</c> logs only, <c>-</c> runs unlogged.</summary>
    public static IReadOnlyList<HookLine> Parse(string? value) =>
        [.. (value ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Select(l => l[0] switch
        {
            '+' => new HookLine(l[1..], Logged: true, Run: false),
            '-' => new HookLine(l[1..], Logged: false, Run: true),
            _ => new HookLine(l, Logged: true, Run: true),
        })];
}

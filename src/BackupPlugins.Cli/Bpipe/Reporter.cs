// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Bpipe;

/// <summary>One-line reports on standard error, prefixed with the command's name; counts the errors.</summary>
internal sealed class Reporter(TextWriter stderr, string command)
{
    public int Errors { get; private set; }

    /// <summary>One line, whatever the text holds (a tool's error may span several): Bacula logs each line apart.</summary>
    public void Info(string text) =>
        stderr.WriteLine($"backup-plugins {command}: {string.Join("; ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct())}");

    public void Error(string text)
    {
        Errors++;
        Info(text);
    }

    public void Messages(IEnumerable<JobMessage> messages)
    {
        foreach (var message in messages)
        {
            if (message.Severity is Severity.Fatal or Severity.Error)
            {
                Error(message.Text);
            }
            else
            {
                Info(message.Text);
            }
        }
    }
}

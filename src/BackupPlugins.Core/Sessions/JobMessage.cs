// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Sessions;

public enum JobSeverity { Fatal = 3, Error = 4, Warning = 5, Info = 6 }

/// <summary>A line for the Bareos job log; travels with the next reply to the shim.</summary>
public sealed record JobMessage(JobSeverity Severity, string Text);

/// <summary>Job messages waiting for the next reply.</summary>
public sealed class JobMessageQueue
{
    private readonly List<JobMessage> _pending = [];
    private readonly Lock _lock = new();

    public void Add(JobSeverity severity, string text)
    {
        lock (_lock)
        {
            _pending.Add(new JobMessage(severity, text));
        }
    }

    public void Info(string text) => Add(JobSeverity.Info, text);
    public void Warning(string text) => Add(JobSeverity.Warning, text);
    public void Error(string text) => Add(JobSeverity.Error, text);

    public IReadOnlyList<JobMessage> Drain()
    {
        lock (_lock)
        {
            var list = _pending.ToList();
            _pending.Clear();
            return list;
        }
    }
}

// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Jobs;

/// <summary>
/// Where a standalone job talks to the operator who started it: its lines (the command's output) and its yes/no
/// questions. In the host it is the caller's gRPC stream.
/// </summary>
public interface IJobConsole
{
    /// <summary>The job's output, a line at a time.</summary>
    TextWriter Out { get; }

    /// <summary>Asks the operator; false when nobody can answer (the command was not started with a terminal).</summary>
    Task<bool> AskAsync(string question, CancellationToken cancellationToken);
}

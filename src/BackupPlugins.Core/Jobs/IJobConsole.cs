// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Jobs;

/// <summary>
/// Where a standalone job talks to the operator who started it: its lines (the command's output), its yes/no
/// questions and the progress of its long transfers. In the host it is the caller's gRPC stream.
/// </summary>
public interface IJobConsole
{
    /// <summary>The job's output, a line at a time.</summary>
    TextWriter Out { get; }

    /// <summary>Asks the operator; false when nobody can answer (the command was not started with a terminal).</summary>
    Task<bool> AskAsync(string question, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a transfer whose progress the operator sees (bars on a terminal, periodic lines otherwise);
    /// <paramref name="totalBytes"/> null when not known beforehand. The default shows nothing: the counter is kept
    /// and nobody reads it.
    /// </summary>
    JobTransfer Transfer(string name, long? totalBytes, bool totalEstimated = false) => new(name, totalBytes, totalEstimated);
}

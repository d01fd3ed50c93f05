// SPDX-License-Identifier: AGPL-3.0-or-later
using BackupPlugins.Protocol.V1;

namespace BackupPlugins.Cli.Commands;

/// <summary>
/// How a job call (<see cref="JobCall"/>) shows what its job sends: the job's lines, in order, and the progress of its
/// transfers — <see cref="ProgressView"/> (bars, on a terminal) or <see cref="ProgressLines"/> (periodic lines).
/// </summary>
internal abstract class JobDisplay : IAsyncDisposable
{
    public abstract Task LineAsync(string line);

    public abstract Task ProgressAsync(TransferProgress progress);

    /// <summary>Before a question: whatever is drawn steps aside, so that the question and its answer are plain text.</summary>
    public virtual Task PauseAsync() => Task.CompletedTask;

    /// <summary>After the answer.</summary>
    public virtual Task ResumeAsync() => Task.CompletedTask;

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

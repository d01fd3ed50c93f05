// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Core.Errors;

/// <summary>What kind of failure a user-facing error is; the service maps it to a gRPC status.</summary>
public enum ErrorKind
{
    /// <summary>Bad options or input: the user must change the job.</summary>
    BadInput,
    /// <summary>The state of the machine forbids the job now (blocker file, lock held, target not empty).</summary>
    Precondition,
    /// <summary>Something named does not exist (session, source, container).</summary>
    NotFound,
    /// <summary>An operation failed while running (a command, a read, a write).</summary>
    Failed,
    /// <summary>The job was cancelled.</summary>
    Cancelled,
}

/// <summary>
/// An error meant for the backup administrator: a stable <see cref="Code"/> (e.g. <c>dir.blocker</c>) and a
/// message that names the option or file and says what to do. Anything else thrown is a bug.
/// </summary>
public class BackupPluginException(ErrorKind kind, string code, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public ErrorKind Kind { get; } = kind;
    public string Code { get; } = code;

    public static BackupPluginException BadOption(string code, string message) => new(ErrorKind.BadInput, code, message);
}

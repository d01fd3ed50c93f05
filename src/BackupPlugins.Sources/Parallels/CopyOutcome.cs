// SPDX-License-Identifier: AGPL-3.0-or-later
namespace BackupPlugins.Sources.Parallels;

/// <summary>
/// What became of one destination's copy (<see cref="RemoteCopy"/>). <see cref="Bytes"/> and <see cref="Sha256"/> are
/// the remote file's figures as the verification read them: the local file's on success, the differing ones on a
/// mismatch, null when the copy failed before it could be verified.
/// </summary>
/// <param name="Destination">The <c>[scp] destinations</c> line, as written.</param>
/// <param name="RemotePath">The file's path in that destination (<c>&lt;dir&gt;/&lt;vm&gt;.&lt;n&gt;.tar.&lt;ext&gt;</c>).</param>
/// <param name="Error">Null on success; otherwise the destination, the step and the tool's own words.</param>
public sealed record CopyOutcome(
    string Destination, string RemotePath, bool Success, long? Bytes, string? Sha256, TimeSpan Elapsed, string? Error);
